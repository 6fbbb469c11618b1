/*
 * mapping — the index before the first document: created with the
 * existing mapping (--create-index), or required to exist.
 */
#ifndef GZ_INDEX_MAPPING_H
#define GZ_INDEX_MAPPING_H

struct index_options;

/* Each returns 0, or the exit status after saying why. */
extern const char mapping_json[];
/* --create-index: creates the index; one that exists is fine. */
int mapping_create(const struct index_options *o);
/* Otherwise: the index must exist (HEAD), else EXIT_USAGE. */
int mapping_check(const struct index_options *o);

#endif
