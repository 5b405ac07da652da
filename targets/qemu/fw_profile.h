/* rnnpoolc QEMU boards: the per-node instruction profile (rnnpoolc run --profile). The
 * firmware build force-includes this header into every source, so that generated model.c
 * calls fw_profile_trace(node) after each step instead of its no-op MODEL_TRACE; the
 * harness (fw_model_main.c, built with RNNPOOLC_PROFILE) adds the SysTick ticks since the
 * previous step to the node's total and prints the totals after the last inference. A
 * node that runs as several steps (row bands) is traced several times; its ticks add up. */
#ifndef RNNPOOLC_FW_PROFILE_H
#define RNNPOOLC_FW_PROFILE_H

#include <stdint.h>

/** Nodes a profile can tell apart; higher node indices are counted in the last slot. */
#define FW_PROFILE_MAX_NODES 512

/** Charges the ticks since the previous call (or since the start of model_run) to `node`. */
void fw_profile_trace(int32_t node);

#define MODEL_TRACE(node, values, count) fw_profile_trace(node)

#endif
