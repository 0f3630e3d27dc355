"""GET /v1/sessions?limit=&page_token=&prefix= (api.md, Version 1.1, "Listing").

A walk pages through the names in byte order; the token is opaque, stays
valid while sessions are created and deleted (a name is listed at most once
per walk) and is refused (400) when the daemon did not issue it for that
prefix.
"""
import os
import random
import sys
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from kfharness import DaemonTestCase  # noqa: E402


class ListingTest(DaemonTestCase):
    FLAGS = ("--max-sessions", "5000")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        rng = random.Random(7)
        cls.names = sorted({"%s-%04d" % (rng.choice(["a", "b", "ab", "B", "z9"]), i) for i in range(1500)})
        conn = cls.d.connection()
        for n in cls.names:
            s, b, _ = cls.d.request("POST", "/v1/sessions", {"name": n}, conn=conn)
            assert s == 201, b
        conn.close()

    def page(self, expect=200, **query):
        s, b = self.d.get("/v1/sessions?" + urllib.parse.urlencode(query))
        self.assertEqual(s, expect, b)
        return b

    def walk(self, **query):
        names, token, pages = [], None, 0
        while True:
            q = dict(query)
            if token:
                q["page_token"] = token
            b = self.page(**q)
            names += b["sessions"]
            pages += 1
            token = b.get("next_page_token")
            if not token:
                return names, pages

    def test_first_page_by_default(self):
        b = self.page()
        self.assertEqual(b["sessions"], self.names[:1000])
        self.assertIn("next_page_token", b)
        rest = self.page(page_token=b["next_page_token"])
        self.assertEqual(rest["sessions"], self.names[1000:])
        self.assertNotIn("next_page_token", rest)

    def test_walks_in_pages(self):
        for limit in (1, 7, 499, 1500, 10000):
            names, pages = self.walk(limit=limit)
            self.assertEqual(names, self.names, limit)
            self.assertEqual(pages, max(1, -(-len(self.names) // limit)), limit)

    def test_prefix(self):
        for prefix in ("a", "ab-", "B", "z9-00", "q", ""):
            want = [n for n in self.names if n.startswith(prefix)]
            self.assertEqual(self.walk(prefix=prefix, limit=37)[0], want, prefix)
        self.assertEqual(self.page(prefix="nothing")["sessions"], [])

    def test_token_survives_creations_and_deletions(self):
        b = self.page(limit=100, prefix="b-")
        seen = list(b["sessions"])
        token = b["next_page_token"]
        # Delete the page's last name and some ahead; create some ahead and some behind.
        mine = ["b-%04d-x" % i for i in range(5)]
        for n in mine:
            self.assertEqual(self.d.post("/v1/sessions", {"name": n})[0], 201)
        gone = [seen[-1]] + [n for n in self.names if n.startswith("b-")][150:155]
        for n in gone:
            self.assertEqual(self.d.delete("/v1/sessions/" + n)[0], 204)
        try:
            names = []
            while token:
                b = self.page(limit=100, prefix="b-", page_token=token)
                names += b["sessions"]
                token = b.get("next_page_token")
            walked = seen + names
            self.assertEqual(len(walked), len(set(walked)), "a name listed twice")
            self.assertEqual(walked, sorted(walked))
            now = sorted(n for n in set(self.names) - set(gone) | set(mine) if n.startswith("b-"))
            # Everything that existed throughout and sorts after the token is listed.
            self.assertEqual([n for n in walked if n > seen[-1]], [n for n in now if n > seen[-1]])
        finally:
            for n in mine:
                self.d.delete("/v1/sessions/" + n)
            for n in gone:
                self.d.post("/v1/sessions", {"name": n})

    def test_bad_queries(self):
        b = self.page(limit=3, prefix="a")
        token = b["next_page_token"]
        cases = [
            ({"limit": "0"}, "limit"), ({"limit": "10001"}, "limit"), ({"limit": "ten"}, "limit"),
            ({"limit": ""}, "limit"), ({"limit": "5x"}, "limit"),
            ({"page_token": "abc"}, "page_token"), ({"page_token": token[:-1]}, "page_token"),
            ({"page_token": token, "prefix": "b"}, "page_token"),  # another listing's token
            ({"page_token": token.replace("p1.", "p2.")}, "page_token"),
            ({"prefix": "x" * 129}, "prefix"), ({"colour": "blue"}, "colour"),
        ]
        for query, word in cases:
            b = self.page(expect=400, **query)
            self.assertEqual(b["error"]["code"], "invalid_argument", query)
            self.assertIn(word, b["error"]["message"], query)
        s, b = self.d.get("/v1/sessions?limit=1&limit=2")
        self.assertEqual(s, 400, b)
        self.assertIn("twice", b["error"]["message"])


if __name__ == "__main__":
    unittest.main()
