/* A tiny probe run inside the sandbox by the security tests (as a JavaScript submission writes and
 * runs a binary of its own): no libc, so its bytes fit in a submission. Prints "name=result" for each
 * call; a result below 0 is -errno. */
static long sc(long n, long a, long b, long c, long d, long e) {
    long r;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8) : "rcx", "r11", "memory");
    return r;
}

static void out(const char *s) {
    const char *e = s;
    while (*e) e++;
    sc(1, 1, (long)s, e - s, 0, 0);
}

static void report(const char *what, long v) {
    char b[24];
    int i = 23, neg = v < 0;
    b[i] = 0;
    if (neg) v = -v;
    do b[--i] = (char)('0' + v % 10); while ((v /= 10) != 0);
    if (neg) b[--i] = '-';
    out(what);
    out("=");
    out(b + i);
    out("\n");
}

void _start(void) {
    report("add_key", sc(248, (long)"user", (long)"LEAK:probe", (long)"x", 1, -4 /* @u */));
    report("keyctl_join", sc(250, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, (long)"LEAK:probe", 0, 0, 0));
    report("unshare", sc(272, 0x10000000 /* CLONE_NEWUSER */, 0, 0, 0, 0));
    report("vsock", sc(41, 40 /* AF_VSOCK */, 1, 0, 0, 0));
    sc(60, 0, 0, 0, 0, 0);
}
