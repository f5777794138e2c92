/* Constants of the file system interface (servers/bootfs/fs.idl). */
#ifndef TESSERA_FS_H
#define TESSERA_FS_H

/* open flags */
#define FS_O_READ 0u
#define FS_O_WRITE 1u
#define FS_O_CREATE 2u
#define FS_O_DIRECTORY 4u   /* fail with -E_NOTDIR unless it is a directory */

/* kinds of node */
#define FS_KIND_FILE 1u
#define FS_KIND_DIR 2u

#endif
