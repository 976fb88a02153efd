/*
 * The libcrypto functions strangerd stands in for (ssh-evp.c,
 * ssh-curve.c, ssh-rand.c) still call libcrypto's own for every case
 * they do not take: this finds it, the next definition after ours in
 * the dynamic linker's order.
 *
 * Owns nothing.
 */

#include <dlfcn.h>

#include "strangerd.h"

/* libcrypto's own definition of name; without one we cannot go on. */
void *
ssh_next(const char *name)
{
	void	*fn;

	if ((fn = dlsym(RTLD_NEXT, name)) == NULL)
		fatalx("ssh: libcrypto's %s not found", name);
	return (fn);
}
