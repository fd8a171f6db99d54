/* Rendering and navigating an object's YAML. */
#include "ui/yaml_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/draw.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/yamlout.h"

int yaml_view_open(struct yaml_view *v, const char *title, const cJSON *obj, char **cause)
{
    struct strbuf yaml;
    memset(v, 0, sizeof *v);
    strbuf_init(&yaml);
    if (yamlout_write(obj, &yaml, cause) != 0) {
        strbuf_free(&yaml);
        return -1;
    }
    size_t cap = 0;
    for (const char *p = yaml.buf; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        v->lines = xreallocarray_grow(v->lines, &cap, v->nlines + 1, sizeof *v->lines);
        v->lines[v->nlines++] = xstrndup(p, len);
        p += len + (nl != NULL ? 1 : 0);
    }
    strbuf_free(&yaml);
    v->title = xstrdup(title);
    listview_init(&v->lv);
    listview_set_count(&v->lv, v->nlines);
    lineedit_init(&v->prompt);
    return 0;
}

void yaml_view_close(struct yaml_view *v)
{
    for (size_t i = 0; i < v->nlines; i++)
        free(v->lines[i]);
    free(v->lines);
    free(v->title);
    free(v->query);
    free(v->message);
    lineedit_free(&v->prompt);
    memset(v, 0, sizeof *v);
}

/* Selects the next (dir = 1) or previous (-1) line containing the query, starting after the
 * selection and wrapping around, as less does. */
static void yaml_view_find(struct yaml_view *v, int dir)
{
    free(v->message);
    v->message = NULL;
    if (v->query == NULL || v->query[0] == '\0' || v->nlines == 0)
        return;
    for (size_t step = 1; step <= v->nlines; step++) {
        size_t i = dir > 0 ? (v->lv.selected + step) % v->nlines
                           : (v->lv.selected + v->nlines - step % v->nlines) % v->nlines;
        if (strstr(v->lines[i], v->query) != NULL) {
            listview_select(&v->lv, i);
            return;
        }
    }
    v->message = xasprintf("pattern not found: %s", v->query);
}

void yaml_view_draw(struct yaml_view *v, WINDOW *win, const struct theme *t, bool utf8)
{
    int h, w;
    getmaxyx(win, h, w);
    werase(win);
    if (h < 3 || w < 4)
        return;
    wattron(win, theme_attr(t, THEME_BORDER_FOCUS));
    box(win, 0, 0);
    wattroff(win, theme_attr(t, THEME_BORDER_FOCUS));
    char head[64];
    snprintf(head, sizeof head, " %zu/%zu ", v->nlines ? v->lv.selected + 1 : 0, v->nlines);
    draw_text(win, 0, 2, w - 4 - (int)strlen(head), v->title, theme_attr(t, THEME_TITLE), utf8);
    draw_text(win, 0, w - 2 - (int)strlen(head), (int)strlen(head), head, theme_attr(t, THEME_DIM),
              utf8);

    int body = h - 2 - 1; /* border top and bottom, and the status line */
    listview_set_height(&v->lv, body);
    for (int row = 0; row < body; row++) {
        size_t i = v->lv.top + (size_t)row;
        if (i >= v->nlines)
            break;
        const char *line = v->lines[i];
        size_t skip = 0; /* whole characters, so a scrolled line never starts mid-sequence */
        for (int c = 0; c < v->hscroll && line[skip] != '\0'; c++)
            do
                skip++;
            while (((unsigned char)line[skip] & 0xC0) == 0x80);
        bool sel = i == v->lv.selected;
        bool hit = v->query != NULL && v->query[0] != '\0' && strstr(line, v->query) != NULL;
        attr_t a = sel   ? theme_attr(t, THEME_SELECTION)
                   : hit ? theme_attr(t, THEME_MARK)
                         : theme_attr(t, THEME_NORMAL);
        if (sel)
            draw_text_fill(win, 1 + row, 1, w - 2, line + skip, a, utf8);
        else
            draw_text(win, 1 + row, 1, w - 2, line + skip, a, utf8);
    }
    int status_y = h - 2;
    if (v->searching) {
        struct strbuf sb;
        strbuf_init(&sb);
        strbuf_appendf(&sb, "/%s", v->prompt.text.buf);
        draw_text_fill(win, status_y, 1, w - 2, sb.buf, theme_attr(t, THEME_NORMAL), utf8);
        strbuf_free(&sb);
    } else if (v->message != NULL) {
        draw_text_fill(win, status_y, 1, w - 2, v->message, theme_attr(t, THEME_WARNING), utf8);
    } else {
        draw_text_fill(win, status_y, 1, w - 2,
                       "/ search  n/N next/previous  \xe2\x86\x90\xe2\x86\x92 scroll  q back",
                       theme_attr(t, THEME_DIM), utf8);
    }
}

bool yaml_view_key(struct yaml_view *v, int key, bool is_keycode)
{
    if (v->searching) {
        enum lineedit_result r =
            is_keycode ? lineedit_key(&v->prompt, key) : lineedit_insert(&v->prompt, (wchar_t)key);
        if (r == LINEEDIT_SUBMIT) {
            v->searching = false;
            if (v->prompt.text.len > 0) {
                free(v->query);
                v->query = xstrdup(v->prompt.text.buf);
            }
            yaml_view_find(v, 1);
        } else if (r == LINEEDIT_CANCEL) {
            v->searching = false;
        }
        return true;
    }
    if (is_keycode) {
        switch (key) {
        case KEY_UP:
            listview_move(&v->lv, LISTVIEW_UP);
            break;
        case KEY_DOWN:
            listview_move(&v->lv, LISTVIEW_DOWN);
            break;
        case KEY_PPAGE:
            listview_move(&v->lv, LISTVIEW_PAGE_UP);
            break;
        case KEY_NPAGE:
            listview_move(&v->lv, LISTVIEW_PAGE_DOWN);
            break;
        case KEY_HOME:
            listview_move(&v->lv, LISTVIEW_FIRST);
            break;
        case KEY_END:
            listview_move(&v->lv, LISTVIEW_LAST);
            break;
        case KEY_LEFT:
            v->hscroll = v->hscroll > 8 ? v->hscroll - 8 : 0;
            break;
        case KEY_RIGHT:
            v->hscroll += 8;
            break;
        }
        return true;
    }
    switch (key) {
    case 'q':
    case 27:
        return false;
    case 'j':
        listview_move(&v->lv, LISTVIEW_DOWN);
        break;
    case 'k':
        listview_move(&v->lv, LISTVIEW_UP);
        break;
    case 'g':
        listview_move(&v->lv, LISTVIEW_FIRST);
        break;
    case 'G':
        listview_move(&v->lv, LISTVIEW_LAST);
        break;
    case ' ':
    case 'f' & 0x1f:
        listview_move(&v->lv, LISTVIEW_PAGE_DOWN);
        break;
    case 'b' & 0x1f:
        listview_move(&v->lv, LISTVIEW_PAGE_UP);
        break;
    case 'h':
        v->hscroll = v->hscroll > 8 ? v->hscroll - 8 : 0;
        break;
    case 'l':
        v->hscroll += 8;
        break;
    case '/':
        v->searching = true;
        lineedit_set(&v->prompt, "");
        break;
    case 'n':
        yaml_view_find(v, 1);
        break;
    case 'N':
        yaml_view_find(v, -1);
        break;
    }
    return true;
}
