/* RTMP core: the error domain shared by every core module.
 * Copyright (C) 2026 The gst-rtmp-ingest authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "rtmp-error.h"

G_DEFINE_QUARK (rtmp-core-error-quark, rtmp_error);
