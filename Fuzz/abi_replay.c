/*
 * Replays inputs through the "abi" fuzz target (abi_fuzz.c) without libFuzzer, for `make test`: every file named on
 * the command line, or every file of a directory. A broken property aborts (the failing file is printed first).
 * Prints "C ABI fuzz replay: N passed, 0 failed" when every input ran.
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replayed;

static void replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "abi_replay: cannot open %s\n", path); exit(1); }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = malloc(n > 0 ? (size_t)n : 1);
    if (n > 0 && fread(data, 1, (size_t)n, f) != (size_t)n) { fprintf(stderr, "abi_replay: cannot read %s\n", path); exit(1); }
    fclose(f);
    fprintf(stderr, "abi_replay: %s\n", path);
    LLVMFuzzerTestOneInput(data, (size_t)n);
    free(data);
    replayed++;
}

int main(int argc, char **argv) {
    LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) continue;
        if (!S_ISDIR(st.st_mode)) { replay_file(argv[i]); continue; }
        struct dirent **names;
        int n = scandir(argv[i], &names, NULL, alphasort);
        for (int k = 0; k < n; k++) {
            if (names[k]->d_name[0] != '.') {
                char path[4096];
                snprintf(path, sizeof path, "%s/%s", argv[i], names[k]->d_name);
                replay_file(path);
            }
            free(names[k]);
        }
        free(names);
    }
    printf("C ABI fuzz replay: %d passed, 0 failed\n", replayed);
    return 0;
}
