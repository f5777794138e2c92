/* Constants of the file system interface (servers/bootfs/fs.idl), shared by
 * file system servers and their clients. */
#ifndef TESSERA_FS_H
#define TESSERA_FS_H

/* open flags; reading is always allowed */
#define FS_O_READ 0u
#define FS_O_WRITE 1u
#define FS_O_CREATE 2u
#define FS_O_DIRECTORY 4u   /* fail with -E_NOTDIR unless it is a directory */
#define FS_O_TRUNC 8u       /* cut the file to length 0 (implies writing) */
#define FS_O_EXCL 16u       /* with FS_O_CREATE: fail if the file exists */
#define FS_O_ALL 31u        /* other flag bits are refused with -E_INVAL */

/* kinds of node */
#define FS_KIND_FILE 1u
#define FS_KIND_DIR 2u

/* The longest name of one directory entry, in bytes without the NUL; it fits
 * a readdir reply. A longer path component in open is -E_NAMETOOLONG. */
#define FS_NAME_MAX 192u

/*
 * Replies, in short: open and stat give `size`, a file's length in bytes or
 * for a directory the number of its entries (readdir indexes 0 .. size-1);
 * stat's `mode` holds the permission bits, `mtime` seconds since the epoch.
 */

#endif
