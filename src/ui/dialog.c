/* Pickers and confirmations drawn as a framed box in the middle of the screen. */
#include "ui/dialog.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action/action.h"
#include "ui/draw.h"
#include "util/xalloc.h"

static char **copy_lines(const char *const *v, size_t n)
{
    char **out = n > 0 ? xcalloc(n, sizeof *out) : NULL;
    for (size_t i = 0; i < n; i++)
        out[i] = xstrdup(v[i] != NULL ? v[i] : "");
    return out;
}

void dialog_pick(struct dialog *d, const char *title, const char *const *labels,
                 const char *const *values, const bool *enabled, size_t n)
{
    memset(d, 0, sizeof *d);
    d->kind = DIALOG_PICK;
    d->title = xstrdup(title);
    d->lines = copy_lines(labels, n);
    d->values = copy_lines(values, n);
    d->enabled = n > 0 ? xcalloc(n, sizeof *d->enabled) : NULL;
    for (size_t i = 0; i < n; i++)
        d->enabled[i] = enabled == NULL || enabled[i];
    d->n_lines = n;
    lineedit_init(&d->edit);
    d->note = xstrdup(n > 0 ? "Enter: choose   Esc: cancel" : "nothing to choose   Esc: close");
}

void dialog_confirm(struct dialog *d, const char *title, const char *const *lines, size_t n,
                    bool blocked, bool offer_approve, const char *typed)
{
    memset(d, 0, sizeof *d);
    d->kind = DIALOG_CONFIRM;
    d->title = xstrdup(title);
    d->lines = copy_lines(lines, n);
    d->n_lines = n;
    d->blocked = blocked;
    d->offer_approve = offer_approve && !blocked;
    d->typed = typed != NULL && !blocked ? xstrdup(typed) : NULL;
    lineedit_init(&d->edit);
    if (blocked)
        d->note = xstrdup("nothing to do   Esc: close");
    else if (d->typed != NULL && strchr(d->typed, ' ') != NULL)
        d->note = xasprintf("type every protected name above and Enter to confirm%s   Esc: cancel",
                            d->offer_approve ? " (Ctrl-A: approve first)" : "");
    else if (d->typed != NULL)
        d->note = xasprintf("type %s and Enter to confirm%s   Esc: cancel", d->typed,
                            d->offer_approve ? " (Ctrl-A: approve first)" : "");
    else
        d->note = xasprintf("y: confirm%s   n/Esc: cancel",
                            d->offer_approve ? "   a: approve first, then promote" : "");
}

void dialog_confirm_rebuild(struct dialog *d, const char *title, const char *const *lines, size_t n,
                            bool blocked, bool offer_approve, const char *typed)
{
    struct dialog old = *d;
    dialog_confirm(d, title, lines, n, blocked, offer_approve, typed);
    /* what the user typed, with the cursor where it was */
    struct lineedit edit = d->edit;
    d->edit = old.edit;
    old.edit = edit;
    d->top = old.top < n ? old.top : (n > 0 ? n - 1 : 0);
    dialog_free(&old);
}

void dialog_free(struct dialog *d)
{
    for (size_t i = 0; i < d->n_lines; i++) {
        free(d->lines[i]);
        if (d->values != NULL)
            free(d->values[i]);
    }
    free(d->lines);
    free(d->values);
    free(d->enabled);
    free(d->title);
    free(d->typed);
    free(d->note);
    lineedit_free(&d->edit);
    memset(d, 0, sizeof *d);
}

const char *dialog_value(const struct dialog *d)
{
    return d->kind == DIALOG_PICK && d->sel < d->n_lines ? d->values[d->sel] : NULL;
}

static enum dialog_result pick_key(struct dialog *d, int key, bool is_keycode)
{
    if (key == 27 || (!is_keycode && key == 'q'))
        return DIALOG_CANCEL;
    if (d->n_lines == 0)
        return (key == '\r' || key == '\n') ? DIALOG_CANCEL : DIALOG_OPEN;
    if ((is_keycode && key == KEY_DOWN) || (!is_keycode && key == 'j')) {
        if (d->sel + 1 < d->n_lines)
            d->sel++;
    } else if ((is_keycode && key == KEY_UP) || (!is_keycode && key == 'k')) {
        if (d->sel > 0)
            d->sel--;
    } else if ((is_keycode && key == KEY_HOME) || (!is_keycode && key == 'g')) {
        d->sel = 0;
    } else if ((is_keycode && key == KEY_END) || (!is_keycode && key == 'G')) {
        d->sel = d->n_lines - 1;
    } else if (key == '\r' || key == '\n' || (is_keycode && key == KEY_ENTER)) {
        return DIALOG_OK;
    }
    return DIALOG_OPEN;
}

enum dialog_result dialog_key(struct dialog *d, int key, bool is_keycode)
{
    if (d->kind == DIALOG_PICK)
        return pick_key(d, key, is_keycode);
    if (key == 27)
        return DIALOG_CANCEL;
    if (d->blocked)
        return (key == '\r' || key == '\n' || key == 'n' || key == 'q') ? DIALOG_CANCEL
                                                                        : DIALOG_OPEN;
    /* a long confirmation scrolls: arrows always, j/k when nothing is typed */
    if ((is_keycode && key == KEY_DOWN) || (d->typed == NULL && !is_keycode && key == 'j')) {
        if (d->top + 1 < d->n_lines)
            d->top++;
        return DIALOG_OPEN;
    }
    if ((is_keycode && key == KEY_UP) || (d->typed == NULL && !is_keycode && key == 'k')) {
        if (d->top > 0)
            d->top--;
        return DIALOG_OPEN;
    }
    if (d->typed != NULL) {
        if (!is_keycode && key == ('a' & 0x1f) && d->offer_approve) {
            if (action_typed_matches(d->typed, d->edit.text.buf))
                return DIALOG_OK_APPROVE;
            free(d->note);
            d->note = xasprintf("type %s first, then Ctrl-A approves and promotes",
                                strchr(d->typed, ' ') != NULL ? "every protected name" : d->typed);
            return DIALOG_OPEN;
        }
        enum lineedit_result r = !is_keycode && key >= 32 && key != 127
                                     ? lineedit_insert(&d->edit, (wchar_t)key)
                                     : lineedit_key(&d->edit, key);
        if (r == LINEEDIT_SUBMIT) {
            if (action_typed_matches(d->typed, d->edit.text.buf))
                return DIALOG_OK;
            free(d->note);
            if (strchr(d->typed, ' ') != NULL)
                d->note = xstrdup("not every protected name (and nothing else): type them all, "
                                  "or Esc");
            else
                d->note = xasprintf("that is not %s: type it exactly, or Esc", d->typed);
        }
        /* Backspace on an empty line is not a way out: only Esc cancels */
        return DIALOG_OPEN;
    }
    if (is_keycode)
        return DIALOG_OPEN;
    if (key == 'y' || key == 'Y')
        return DIALOG_OK;
    if (key == 'a' && d->offer_approve)
        return DIALOG_OK_APPROVE;
    if (key == 'n' || key == 'N' || key == 'q')
        return DIALOG_CANCEL;
    return DIALOG_OPEN;
}

void dialog_draw(struct dialog *d, const struct paint *p)
{
    int w = COLS - 8 < 100 ? COLS - 8 : 100;
    int body = (int)d->n_lines + (d->typed != NULL ? 2 : 0);
    int h = body + 5;
    if (h > LINES - 2)
        h = LINES - 2;
    if (w < 20 || h < 5)
        return;
    int y0 = (LINES - h) / 2, x0 = (COLS - w) / 2;
    attr_t border = paint_role(p, THEME_BORDER_FOCUS);
    for (int r = 0; r < h; r++)
        mvhline(y0 + r, x0, ' ', w);
    attron(border);
    mvhline(y0, x0 + 1, ACS_HLINE, w - 2);
    mvhline(y0 + h - 1, x0 + 1, ACS_HLINE, w - 2);
    mvvline(y0 + 1, x0, ACS_VLINE, h - 2);
    mvvline(y0 + 1, x0 + w - 1, ACS_VLINE, h - 2);
    mvaddch(y0, x0, ACS_ULCORNER);
    mvaddch(y0, x0 + w - 1, ACS_URCORNER);
    mvaddch(y0 + h - 1, x0, ACS_LLCORNER);
    mvaddch(y0 + h - 1, x0 + w - 1, ACS_LRCORNER);
    attroff(border);
    char title[300];
    snprintf(title, sizeof title, " %s ", d->title);
    draw_text(stdscr, y0, x0 + 2, w - 4, title, paint_role(p, THEME_TITLE), p->utf8);
    int rows = h - 4 - (d->typed != NULL ? 2 : 0);
    if (rows < 1)
        rows = 1;
    /* the picker scrolls to keep the selection in view */
    if (d->kind == DIALOG_PICK) {
        if (d->sel < d->top)
            d->top = d->sel;
        if (d->sel >= d->top + (size_t)rows)
            d->top = d->sel - (size_t)rows + 1;
    }
    for (int r = 0; r < rows && d->top + (size_t)r < d->n_lines; r++) {
        size_t i = d->top + (size_t)r;
        attr_t a = paint_role(p, THEME_NORMAL);
        if (d->kind == DIALOG_PICK) {
            if (i == d->sel)
                a = paint_role(p, THEME_SELECTION);
            else if (!d->enabled[i])
                a = paint_role(p, THEME_DIM);
        } else if (strstr(d->lines[i], "not available") != NULL ||
                   strstr(d->lines[i], "will be held") != NULL ||
                   strstr(d->lines[i], "skipped") != NULL) {
            a = paint_role(p, THEME_WARNING);
        }
        if (d->kind == DIALOG_PICK && i == d->sel)
            mvchgat(y0 + 2 + r, x0 + 1, w - 2, a, PAIR_NUMBER(a), NULL);
        draw_text(stdscr, y0 + 2 + r, x0 + 2, w - 4, d->lines[i], a, p->utf8);
    }
    if (d->kind == DIALOG_CONFIRM && (d->top > 0 || d->top + (size_t)rows < d->n_lines)) {
        char more[64];
        snprintf(more, sizeof more, " %zu-%zu of %zu, j/k scroll ", d->top + 1,
                 d->top + (size_t)rows < d->n_lines ? d->top + (size_t)rows : d->n_lines,
                 d->n_lines);
        draw_text(stdscr, y0 + h - 1, x0 + w - 2 - draw_width(more), draw_width(more), more,
                  paint_role(p, THEME_DIM), p->utf8);
    }
    int y = y0 + 2 + rows;
    if (d->typed != NULL) {
        draw_text(stdscr, y, x0 + 2, w - 4, "> ", paint_role(p, THEME_KEY_HINT), p->utf8);
        draw_text(stdscr, y, x0 + 4, w - 6, d->edit.text.buf, paint_role(p, THEME_NORMAL), p->utf8);
        int cx = x0 + 4 + draw_width(d->edit.text.buf);
        if (cx < x0 + w - 1)
            mvchgat(y, cx, 1, A_REVERSE, 0, NULL);
        y += 2;
    }
    draw_text(stdscr, y0 + h - 2, x0 + 2, w - 4, d->note, paint_role(p, THEME_KEY_HINT), p->utf8);
}
