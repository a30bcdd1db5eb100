#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: not written yet (issue 7: gaspace against Linux's own memory
# management, as ratios and charts).
echo "make bench: not implemented yet (issue 7)" >&2
exit 2
