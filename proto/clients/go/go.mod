module github.com/keyfold/keyfold/proto/clients/go

go 1.19
