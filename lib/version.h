/*
 * version — the one version string of gz, which --version, the metrics
 * (gz_build_info) and the ledger (gz.index.version) all carry.  The
 * Makefile defines it: `git describe` of a vX.Y.Z tag, else the VERSION file.
 */
#ifndef GZ_VERSION_H
#define GZ_VERSION_H

extern const char gz_version[];

#endif
