/*
 * A TEST-ONLY STAND-IN for Windows' bcryptprimitives.dll, for running
 * lockwatch's Windows build under Debian's Wine 8, which lacks the DLL.
 * Go 1.24+ gets its random numbers from ProcessPrng there; this one
 * fills the buffer from RtlGenRandom (advapi32's SystemFunction036),
 * which Wine has. Built with mingw-w64 by platform/winetest; never shipped.
 */
#include <windows.h>
/* RtlGenRandom, exported by advapi32 as SystemFunction036. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!SystemFunction036(data, n)) return FALSE;
		data += n; len -= n;
	}
	return TRUE;
}
