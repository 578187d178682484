"""The fixture's sanitizer filter: libfuse's own interrupt-list leak is forgiven, nothing else is."""
import smbfixture as sf

HEAD = "=================================================================\n==7==ERROR: LeakSanitizer: detected memory leaks\n\n"
LIBFUSE = """Direct leak of 176 byte(s) in 1 object(s) allocated from:
    #0 0x7f00 in __interceptor_calloc ../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:77
    #1 0x7f01  (/lib/x86_64-linux-gnu/libfuse3.so.3+0x19ee5)
    #2 0x7f02  (/lib/x86_64-linux-gnu/libfuse3.so.3+0x1530b)
    #3 0x7f03 in start_thread nptl/pthread_create.c:442
    #4 0x7f04 in clone3 ../sysdeps/unix/sysv/linux/x86_64/clone3.S:81

"""
OURS = """Direct leak of 64 byte(s) in 1 object(s) allocated from:
    #0 0x7f00 in __interceptor_malloc ../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:69
    #1 0x5501 in fs_opendir ../src/fs/ops.c:120
    #2 0x7f02  (/lib/x86_64-linux-gnu/libfuse3.so.3+0x1530b)
    #3 0x7f03 in start_thread nptl/pthread_create.c:442

"""
TAIL = "SUMMARY: AddressSanitizer: 176 byte(s) leaked in 1 allocation(s).\n"


def test_libfuse_interrupt_leak_alone_is_no_finding():
    assert sf.sanitizer_findings("log line\n" + HEAD + LIBFUSE + TAIL) == []


def test_a_leak_with_a_frame_of_ours_is_a_finding():
    found = sf.sanitizer_findings(HEAD + LIBFUSE + OURS + TAIL)
    assert any("LeakSanitizer" in l for l in found), found


def test_other_reports_stay_findings():
    assert sf.sanitizer_findings("../src/x.c:3:5: runtime error: signed integer overflow\n")
