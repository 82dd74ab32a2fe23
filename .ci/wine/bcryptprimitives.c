/* A stand-in for Windows' bcryptprimitives.dll under Wine 8, which lacks ProcessPrng
 * (Rust's standard library takes its random numbers from it; Windows 10 and later have
 * it). Test setup only: built with mingw by .ci/windows and put beside planmon.exe,
 * loaded through WINEDLLOVERRIDES. Not part of planmon. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom, advapi32 */

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG n = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, n)) return FALSE;
        data += n;
        length -= n;
    }
    return TRUE;
}
