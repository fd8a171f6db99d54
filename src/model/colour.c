/* Colour resolution and depth mapping. The palette is the Kargo UI's ColorMapHex (KARGO-API.md
 * §8); the 256-colour match is tmux's colour_find_rgb, so kargotop looks the same inside tmux. */
#include "model/colour.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static const struct {
    const char *name;
    uint32_t hex;
} palette[] = {
    {"red", 0xED204E},     {"salmon", 0xFD5352},      {"orange", 0xFE7537},
    {"amber", 0xe78a00},   {"yellow", 0xDFC546},      {"lime", 0x9bce22},
    {"avocado", 0x84DF75}, {"green", 0x1CAC77},       {"teal", 0x1bc1a7},
    {"cyan", 0x1DCECA},    {"sky", 0x0DAFD3},         {"blue", 0x3882EA},
    {"indigo", 0x2D5EDC},  {"periwinkle", 0x6380E1},  {"violet", 0x7851AA},
    {"purple", 0xA9499D},  {"fuchsia", 0xD0469D},     {"pink", 0xE573A2},
    {"rose", 0xf1619b},    {"dragonfruit", 0xFE43A3}, {"gray", 0x6a7382},
};
#define PALETTE_SIZE (sizeof palette / sizeof palette[0])

/* xterm's default first 16 colours. */
static const uint32_t ansi16[16] = {
    0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd, 0x00cdcd, 0xe5e5e5,
    0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00, 0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff,
};

static const int cube_levels[6] = {0x00, 0x5f, 0x87, 0xaf, 0xd7, 0xff};

static struct colour_rgb rgb_of(uint32_t hex)
{
    return (struct colour_rgb){(uint8_t)(hex >> 16), (uint8_t)(hex >> 8), (uint8_t)hex};
}

static uint32_t hex_of(struct colour_rgb c)
{
    return ((uint32_t)c.r << 16) | ((uint32_t)c.g << 8) | c.b;
}

size_t colour_palette_size(void)
{
    return PALETTE_SIZE;
}

const char *colour_palette_name(size_t i)
{
    return i < PALETTE_SIZE ? palette[i].name : NULL;
}

struct colour_rgb colour_palette_rgb(size_t i)
{
    return rgb_of(i < PALETTE_SIZE ? palette[i].hex : 0);
}

int colour_palette_index(const char *name)
{
    for (size_t i = 0; name != NULL && i < PALETTE_SIZE; i++)
        if (strcmp(palette[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int colour_parse(const char *value, struct colour_rgb *out)
{
    if (value == NULL)
        return -1;
    int idx = colour_palette_index(value);
    if (idx >= 0) {
        *out = colour_palette_rgb((size_t)idx);
        return 0;
    }
    size_t len = strlen(value);
    if (value[0] != '#' || (len != 7 && len != 4))
        return -1;
    int d[6] = {0};
    for (size_t i = 1; i < len; i++)
        if ((d[i - 1] = hex_digit(value[i])) < 0)
            return -1;
    if (len == 4)
        *out =
            (struct colour_rgb){(uint8_t)(d[0] * 17), (uint8_t)(d[1] * 17), (uint8_t)(d[2] * 17)};
    else
        *out = (struct colour_rgb){(uint8_t)(d[0] * 16 + d[1]), (uint8_t)(d[2] * 16 + d[3]),
                                   (uint8_t)(d[4] * 16 + d[5])};
    return 0;
}

void colour_assign(const char *const *annotations, size_t n, struct colour_rgb *out)
{
    bool taken[PALETTE_SIZE] = {false};
    bool *set = xcalloc(n ? n : 1, sizeof *set);
    for (size_t i = 0; i < n; i++) {
        int idx = colour_palette_index(annotations[i]);
        if (idx >= 0)
            taken[idx] = true;
        if (colour_parse(annotations[i], &out[i]) == 0)
            set[i] = true;
    }
    size_t free_idx[PALETTE_SIZE], n_free = 0;
    for (size_t i = 0; i < PALETTE_SIZE; i++)
        if (!taken[i])
            free_idx[n_free++] = i;
    if (n_free == 0) /* every name taken: reuse the whole palette rather than leave gaps */
        for (size_t i = 0; i < PALETTE_SIZE; i++)
            free_idx[n_free++] = i;
    size_t step = n > 0 && n_free / n > 1 ? n_free / n : 1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (set[i])
            continue;
        out[i] = colour_palette_rgb(free_idx[k % n_free]);
        k += step;
    }
    free(set);
}

static int dist_sq(int r1, int g1, int b1, int r2, int g2, int b2)
{
    return (r1 - r2) * (r1 - r2) + (g1 - g2) * (g1 - g2) + (b1 - b2) * (b1 - b2);
}

static int to_cube(int v)
{
    if (v < 48)
        return 0;
    if (v < 114)
        return 1;
    return (v - 35) / 40;
}

static int find_256(struct colour_rgb c)
{
    int qr = to_cube(c.r), qg = to_cube(c.g), qb = to_cube(c.b);
    int cr = cube_levels[qr], cg = cube_levels[qg], cb = cube_levels[qb];
    int cube = 16 + 36 * qr + 6 * qg + qb;
    if (cr == c.r && cg == c.g && cb == c.b)
        return cube;
    int avg = (c.r + c.g + c.b) / 3;
    int grey_idx = avg > 238 ? 23 : (avg - 3) / 10;
    int grey = 8 + 10 * grey_idx;
    if (dist_sq(grey, grey, grey, c.r, c.g, c.b) < dist_sq(cr, cg, cb, c.r, c.g, c.b))
        return 232 + grey_idx;
    return cube;
}

/* Plain RGB distance sends most mid-tone palette colours to grey in 16 colours (violet, pink,
 * avocado all land on bright black), so the hue picks the family and distance only the shade:
 * unsaturated colours take the nearest grey, the rest the nearest of the six hues, then the normal
 * or bright variant whichever is closer. */
static int find_ansi(struct colour_rgb c, int count)
{
    static const int grey16[] = {0, 7, 8, 15};
    static const int by_hue[6] = {1, 3, 2, 6, 4, 5}; /* red yellow green cyan blue magenta */
    int max = c.r > c.g ? (c.r > c.b ? c.r : c.b) : (c.g > c.b ? c.g : c.b);
    int min = c.r < c.g ? (c.r < c.b ? c.r : c.b) : (c.g < c.b ? c.g : c.b);
    int cand[4], n = 0;
    if (max == 0 || (max - min) * 4 < max) {
        for (int i = 0; i < (count == 16 ? 4 : 2); i++)
            cand[n++] = grey16[i];
    } else {
        double d = max - min, h;
        if (max == c.r)
            h = 60.0 * ((c.g - c.b) / d);
        else if (max == c.g)
            h = 60.0 * ((c.b - c.r) / d + 2);
        else
            h = 60.0 * ((c.r - c.g) / d + 4);
        if (h < 0)
            h += 360;
        int family = by_hue[(int)((h + 30) / 60) % 6];
        cand[n++] = family;
        if (count == 16)
            cand[n++] = family + 8;
    }
    int best = cand[0], best_d = -1;
    for (int i = 0; i < n; i++) {
        struct colour_rgb a = rgb_of(ansi16[cand[i]]);
        int dd = dist_sq(a.r, a.g, a.b, c.r, c.g, c.b);
        if (best_d < 0 || dd < best_d) {
            best = cand[i];
            best_d = dd;
        }
    }
    return best;
}

int colour_nearest(struct colour_rgb c, enum colour_depth depth)
{
    switch (depth) {
    case COLOUR_DEPTH_TRUE:
        return (int)(COLOUR_RGB_FLAG | hex_of(c));
    case COLOUR_DEPTH_256:
        return find_256(c);
    case COLOUR_DEPTH_16:
        return find_ansi(c, 16);
    case COLOUR_DEPTH_8:
        return find_ansi(c, 8);
    case COLOUR_DEPTH_NONE:
        break;
    }
    return COLOUR_DEFAULT;
}

struct colour_rgb colour_number_rgb(int number, enum colour_depth depth)
{
    if (number < 0 || depth == COLOUR_DEPTH_NONE)
        return rgb_of(0);
    if (number & COLOUR_RGB_FLAG)
        return rgb_of((uint32_t)number & 0xffffff);
    if (number < 16)
        return rgb_of(ansi16[number]);
    if (number > 255)
        return rgb_of(0xffffff);
    if (number < 232) {
        int i = number - 16;
        return (struct colour_rgb){(uint8_t)cube_levels[i / 36], (uint8_t)cube_levels[(i / 6) % 6],
                                   (uint8_t)cube_levels[i % 6]};
    }
    uint8_t g = (uint8_t)(8 + 10 * (number - 232));
    return (struct colour_rgb){g, g, g};
}

static double channel(uint8_t v)
{
    double s = v / 255.0;
    return s <= 0.03928 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4);
}

/* WCAG 2 relative luminance. */
static double luminance(struct colour_rgb c)
{
    return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
}

struct colour_pair colour_pair_for(struct colour_rgb c, enum colour_depth depth)
{
    struct colour_pair p = {COLOUR_DEFAULT, COLOUR_DEFAULT};
    if (depth == COLOUR_DEPTH_NONE)
        return p;
    p.bg = colour_nearest(c, depth);
    double l = luminance(colour_number_rgb(p.bg, depth));
    /* contrast with black (l+0.05)/0.05 beats white 1.05/(l+0.05) above this luminance */
    bool dark_text = (l + 0.05) * (l + 0.05) > 0.05 * 1.05;
    switch (depth) {
    case COLOUR_DEPTH_TRUE:
        p.fg = dark_text ? COLOUR_RGB_FLAG : COLOUR_RGB_FLAG | 0xffffff;
        break;
    case COLOUR_DEPTH_256:
        p.fg = dark_text ? 16 : 231;
        break;
    case COLOUR_DEPTH_16:
        p.fg = dark_text ? 0 : 15;
        break;
    default:
        p.fg = dark_text ? 0 : 7;
        break;
    }
    return p;
}
