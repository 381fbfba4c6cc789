/*
 * pool.c - the memory of the compiled form: a block pool that owns every
 * node, literal and set of a policy (and the regexes it must free), the
 * open-addressing string sets, and string interning.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lang.h"

/* ---- pool ---- */

#define POOL_BLOCK 16384

struct lang_pool_block {
	struct lang_pool_block *next;
	size_t used, size;
	max_align_t data[];
};

void lang_pool_init(struct lang_pool *p)
{
	memset(p, 0, sizeof(*p));
}

/* Zeroed memory owned by the pool; NULL on ENOMEM. */
void *lang_alloc(struct lang_pool *p, size_t n)
{
	struct lang_pool_block *b = p->blocks;
	size_t a = sizeof(max_align_t);

	n = (n + a - 1) / a * a;
	if (!n)
		n = a;
	if (!b || b->size - b->used < n) {
		size_t size = n > POOL_BLOCK ? n : POOL_BLOCK;

		b = calloc(1, sizeof(*b) + size);
		if (!b)
			return NULL;
		b->size = size;
		b->next = p->blocks;
		p->blocks = b;
	}
	b->used += n;
	return (char *)b->data + b->used - n;
}

void lang_pool_free(struct lang_pool *p)
{
	struct lang_pool_block *b, *next;

	for (size_t i = 0; i < p->n_regexes; i++) {
		pcre2_match_data_free(p->regexes[i]->md);
		pcre2_code_free(p->regexes[i]->code);
	}
	free(p->regexes);
	for (b = p->blocks; b; b = next) {
		next = b->next;
		free(b);
	}
	lang_strset_free(&p->interned);
	memset(p, 0, sizeof(*p));
}

/* ---- string sets ---- */

static void strset_put(struct lang_strslot *slots, uint32_t mask,
		       uint32_t hash, const char *s, size_t n)
{
	uint32_t i = hash & mask;

	while (slots[i].ptr)
		i = (i + 1) & mask;
	slots[i].hash = hash;
	slots[i].len = (uint32_t)n;
	slots[i].ptr = s;
}

static struct lang_strslot *strset_find(const struct lang_strset *set,
					uint32_t hash, const char *s,
					size_t n)
{
	uint32_t i;

	if (!set->slots)
		return NULL;
	for (i = hash & set->mask; set->slots[i].ptr; i = (i + 1) & set->mask)
		if (set->slots[i].hash == hash && set->slots[i].len == n &&
		    memcmp(set->slots[i].ptr, s, n) == 0)
			return &set->slots[i];
	return NULL;
}

int lang_strset_add(struct lang_strset *set, const char *s, size_t n,
		    bool *added)
{
	uint32_t hash = lang_hash(s, n, false);

	*added = false;
	if (strset_find(set, hash, s, n))
		return 0;
	if (!set->slots || (set->n + 1) * 2 > set->mask + 1) {
		uint32_t cap = set->slots ? (set->mask + 1) * 2 : 64;
		struct lang_strslot *slots = calloc(cap, sizeof(*slots));

		if (!slots)
			return -ENOMEM;
		for (uint32_t i = 0; set->slots && i <= set->mask; i++)
			if (set->slots[i].ptr)
				strset_put(slots, cap - 1, set->slots[i].hash,
					   set->slots[i].ptr,
					   set->slots[i].len);
		free(set->slots);
		set->slots = slots;
		set->mask = cap - 1;
	}
	strset_put(set->slots, set->mask, hash, s, n);
	set->n++;
	*added = true;
	return 0;
}

void lang_strset_free(struct lang_strset *set)
{
	free(set->slots);
	memset(set, 0, sizeof(*set));
}

const char *lang_intern(struct lang_pool *p, const char *s, size_t len)
{
	struct lang_strslot *slot;
	bool added;
	char *copy;

	slot = strset_find(&p->interned, lang_hash(s, len, false), s, len);
	if (slot)
		return slot->ptr;
	copy = lang_alloc(p, len + 1);
	if (!copy)
		return NULL;
	memcpy(copy, s, len);
	copy[len] = '\0';
	if (lang_strset_add(&p->interned, copy, len, &added))
		return NULL;
	return copy;
}

/* A set of n strings whose slots live in the pool (no growth). */
struct lang_strset *lang_strset_build(struct lang_pool *p, size_t n)
{
	struct lang_strset *set = lang_alloc(p, sizeof(*set));
	uint32_t cap = 8;

	if (!set)
		return NULL;
	while (cap < n * 2)
		cap *= 2;
	set->slots = lang_alloc(p, cap * sizeof(*set->slots));
	if (!set->slots)
		return NULL;
	set->mask = cap - 1;
	return set;
}

void lang_strset_build_add(struct lang_strset *set, const char *s, size_t n)
{
	uint32_t hash = lang_hash(s, n, false);

	if (strset_find(set, hash, s, n))
		return;
	strset_put(set->slots, set->mask, hash, s, n);
	set->n++;
}
