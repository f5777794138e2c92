/*
 * Constants of the fs interface (fs.idl) beyond those in <tessera/fs.h>
 * (FS_O_READ/WRITE/CREATE/DIRECTORY, FS_KIND_FILE/DIR): more open flags and
 * the longest name. Candidates for <tessera/fs.h>; a definition there with
 * another value would clash here at compile time, which is the point.
 */
#ifndef FS_ABI_H
#define FS_ABI_H

#include <tessera/fs.h>

#define FS_O_TRUNC 8u        /* cut the file to length 0 (implies writing) */
#define FS_O_EXCL 16u        /* with FS_O_CREATE: fail if the file exists */
#define FS_O_ALL 31u         /* other flag bits are refused with -E_INVAL */

/*
 * The longest name of one directory entry, in bytes without the NUL. It fits
 * in a readdir reply (FS_READDIR_NAME_MAX - 1 = 195). A longer path component
 * in fs.open is refused with -E_NAMETOOLONG.
 */
#define FS_NAME_MAX 192u

/*
 * Replies, in short:
 * - fs.open and fs.stat give `size`: a file's length in bytes, or for a
 *   directory the number of its entries (readdir indexes 0 .. size-1).
 * - fs.stat's `mode` holds the permission bits (e.g. 0755), `mtime` seconds
 *   since the epoch.
 */

#endif
