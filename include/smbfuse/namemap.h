/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * namemap.h - storing names that Windows and SMB cannot hold, one path component at a time.
 *
 * Linux allows every byte but '/' and NUL in a name; SMB servers refuse : ? * " < > | \ and drop a trailing
 * dot or space. As mount.cifs (mapposix, mapchars), macOS and Samba's vfs_fruit/vfs_catia do, such
 * characters travel as code points of the Unicode private use area, so the server stores them and every
 * client that maps the same way shows the same name:
 *
 *   SFM (Services for Macintosh, the default): 0x01-0x1F -> U+F001-U+F01F, '"' U+F020, '*' U+F021,
 *       ':' U+F022, '<' U+F023, '>' U+F024, '?' U+F025, '\' U+F026, '|' U+F027, and a component's last
 *       character if it is a space U+F028 or a period U+F029.
 *   SFU (Services for Unix, mapchars): 0xF000 | c for c in : * ? < > | \ (the kernel's UNI_* set); '"'
 *       and a trailing period or space have no SFU form and are refused, as every one is with NONE.
 *
 * The way back maps the same code points, so a name containing one of them literally (U+F021, say) is
 * stored as it is and listed as the ASCII character: the two cannot be told apart, as with the kernel.
 * U+F028/U+F029 map back only as the last character, the only place we put them; "." and ".." are never
 * produced. Pure functions on UTF-8, no allocation: wire form is still UTF-8 here (utf16.c encodes it).
 */
#ifndef SMBFUSE_NAMEMAP_H
#define SMBFUSE_NAMEMAP_H

#include <stddef.h>

/* SFM first: a zeroed configuration maps, as mount.cifs does by default. */
enum name_map { NAME_MAP_SFM, NAME_MAP_SFU, NAME_MAP_NONE };

/* Room name_map_to_wire needs for a component of n bytes: each mapped byte becomes 3, plus the NUL. */
#define NAME_MAP_WIRE_MAX(n) (3 * (n) + 1)

/*
 * Write component s (n bytes, no '/') in wire form to out (NAME_MAP_WIRE_MAX(n) bytes), NUL-terminated.
 * Returns its length, or -EINVAL when a character the server would read as a separator, wildcard or
 * stream name (\ * ? " < > | :) is left unmapped (with SMB1 a '*' would even make a DELETE match other
 * names), or a trailing period or space, which Windows drops and Samba lists under a mangled 8.3 name: a
 * program would not find what it created. Other bytes are copied; the UTF-16 encoder checks that they
 * are UTF-8.
 */
long name_map_to_wire(enum name_map m, const char *s, size_t n, char *out);

/* Map a wire name (one component, valid UTF-8, NUL-terminated) back in place; it never grows. */
void name_map_from_wire(enum name_map m, char *s);

#endif
