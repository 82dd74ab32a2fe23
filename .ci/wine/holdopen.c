/* Holds a file open without sharing, as Excel holds an open workbook: CI opens an
 * output file with it and runs planmon.exe meanwhile. Usage: holdopen FILE RELEASE.
 * Prints "held" once the file is open, and closes it when the file RELEASE exists (or
 * after five minutes). Test setup only. */
#include <windows.h>
#include <stdio.h>

int wmain(int argc, wchar_t **argv) {
    if (argc < 3) { fprintf(stderr, "usage: holdopen FILE RELEASE\n"); return 2; }
    HANDLE h = CreateFileW(argv[1], GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) { fprintf(stderr, "holdopen: cannot open (error %lu)\n", GetLastError()); return 1; }
    printf("held\n");
    fflush(stdout);
    for (int i = 0; i < 3000 && GetFileAttributesW(argv[2]) == INVALID_FILE_ATTRIBUTES; i++) Sleep(100);
    CloseHandle(h);
    return 0;
}
