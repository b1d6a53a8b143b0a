/* Rotary position embedding from precomputed cos/sin tables (RopeTable in OSSCore). */
#include "ck_internal.h"

void ck_rope(float *x, int64_t T, int64_t heads, int64_t head_dim, int64_t first_pos, const float *cos_table,
             const float *sin_table, int style, int threads) {
    const int64_t half = head_dim / 2, width = heads * head_dim;
    const int team = ck_team(threads, T * width, 32768);
    CK_PARALLEL(team, nt, id, {
        int64_t t0, t1;
        ck_split(T, nt, id, 1, &t0, &t1);
        for (int64_t t = t0; t < t1; t++) {
            const float *c = cos_table + (first_pos + t) * half;
            const float *s = sin_table + (first_pos + t) * half;
            float *row = x + t * width;
            for (int64_t h = 0; h < heads; h++) ck_rope_row(row + h * head_dim, half, c, s, style);
        }
    });
}
