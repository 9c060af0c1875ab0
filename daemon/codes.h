/* codes.h: the hierarchies of product (HS) and sector (ISIC Rev.4) codes,
 * for matching at every level of specificity: a 6-digit HS subheading
 * also belongs to its 4-digit heading and 2-digit chapter; an ISIC class
 * (4 digits) to its group (3), division (2) and section (a letter). */
#ifndef EM_CODES_H
#define EM_CODES_H

#include <stddef.h>

/* The most levels a code expands to: 3 for HS, 4 for ISIC. */
#define CODES_MAX_LEVELS 4

/* One level of a code: the code at that level ("0901", "C") and how
 * specific it is, 1 (chapter, section) up to 3 (HS) or 4 (ISIC class). */
struct code_level {
    char code[8];
    int level;
};

/* Expands a valid HS code (2, 4 or 6 digits) into itself and its broader
 * levels, most specific first; returns how many (0 if it is not one). */
size_t hs_levels(const char *code, struct code_level out[CODES_MAX_LEVELS]);

/* The same for an ISIC Rev.4 code: a section letter A-U or 2-4 digits.
 * A division that belongs to no section (e.g. "04") gives 0. */
size_t isic_levels(const char *code, struct code_level out[CODES_MAX_LEVELS]);

/* The ISIC section letter of a 2-digit division, or 0 if none. */
char isic_section(int division);

#endif
