/*
 * version — see version.h.  Only this file sees GZ_VERSION, so a new
 * version rebuilds one object, not every file that prints it.
 */
#include "version.h"

#ifndef GZ_VERSION
#error "GZ_VERSION is defined by the Makefile"
#endif

const char gz_version[] = GZ_VERSION;
