/* Frames side by side: the columns of several frames with the same rows in
 * one new frame (a trainer's predictions next to the true labels). */
#ifndef ZM_FRAME_HSTACK_H
#define ZM_FRAME_HSTACK_H

#include "frame/frame.h"

#include <stddef.h>

/* A new frame with the columns of parts[0..n) in order, copied. The parts
 * must have the same number of rows and no column name twice (the error
 * names the column). */
int zm_frame_hstack(zm_frame **out, const zm_frame *const *parts, size_t n);

#endif
