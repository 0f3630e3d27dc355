/* keyfoldd — file-system helpers shared by the store and its backups. */
#ifndef KEYFOLDD_FSUTIL_H
#define KEYFOLDD_FSUTIL_H

/* Creates dir and its missing parents (mode 0700). 0, or -1 with errno. */
int kd_mkdir_p(const char *dir);

#endif
