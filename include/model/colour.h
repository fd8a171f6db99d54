/* Stage and Warehouse colours: the kargo.akuity.io/color annotation resolved as the Kargo UI does
 * (its 21-name palette or a hex value), deterministic colours for the rest, and the nearest
 * colour a terminal of a given depth offers with a readable text colour on it. Numbers only:
 * turning them into terminal attributes is the view's job. */
#ifndef KT_MODEL_COLOUR_H
#define KT_MODEL_COLOUR_H

#include <stddef.h>
#include <stdint.h>

struct colour_rgb {
    uint8_t r, g, b;
};

enum colour_depth {
    COLOUR_DEPTH_NONE, /* monochrome: no colour at all */
    COLOUR_DEPTH_8,
    COLOUR_DEPTH_16,
    COLOUR_DEPTH_256,
    COLOUR_DEPTH_TRUE
};

/* At COLOUR_DEPTH_TRUE a colour number is COLOUR_RGB_FLAG | 0xrrggbb; at the other depths it is
 * the terminal's palette index; COLOUR_DEFAULT means "the terminal's default colour". */
#define COLOUR_RGB_FLAG 0x1000000
#define COLOUR_DEFAULT  (-1)

/* The UI's palette (ColorMapHex), in its order. */
size_t colour_palette_size(void);
const char *colour_palette_name(size_t i);
struct colour_rgb colour_palette_rgb(size_t i);
/* Index of a palette name, or -1. */
int colour_palette_index(const char *name);

/* An annotation value: a palette name, "#rrggbb" or "#rgb". Returns 0, or -1 for anything else
 * (a CSS colour name the terminal cannot know), leaving *out untouched. */
int colour_parse(const char *value, struct colour_rgb *out);

/* Colours for n objects given their annotations (NULL when absent) in name order, as the UI's
 * generateStageColors does but without its per-browser cache, so every user sees the same:
 * annotated objects get their colour; the others step through the palette minus the names
 * annotations took, by max(1, remaining / n). */
void colour_assign(const char *const *annotations, size_t n, struct colour_rgb *out);

/* The nearest colour number at depth: truecolor exact; 256 as tmux's colour_find_rgb (6x6x6 cube
 * or 24-step grey ramp); 16 and 8 the xterm colour of the nearest hue (greys for unsaturated
 * colours), normal or bright by distance; none COLOUR_DEFAULT. */
int colour_nearest(struct colour_rgb c, enum colour_depth depth);
/* The RGB a colour number shows (xterm defaults for palette indexes). */
struct colour_rgb colour_number_rgb(int number, enum colour_depth depth);

struct colour_pair {
    int fg; /* black or white, whichever contrasts more with bg as the terminal shows it */
    int bg;
};
struct colour_pair colour_pair_for(struct colour_rgb c, enum colour_depth depth);

#endif
