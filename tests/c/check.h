/*
 * check.h - the C test programs' one check counter (included by each of
 * them, after <stdio.h>). check() counts a result and prints it: every
 * line, or only the failures when CHECK_FAILURES_ONLY is defined first (a
 * program that makes hundreds of checks). checks_done() prints the last
 * line the harness reads, "<name>: N checks, M failed", and gives the exit
 * code: 0 when all passed.
 */
static unsigned checks = 0;
static unsigned failed = 0;

static void check(int ok, const char *what)
{
    checks++;
#ifndef CHECK_FAILURES_ONLY
    printf("%s %s\n", ok ? "ok  " : "FAIL", what);
#endif
    if (!ok) {
        failed++;
#ifdef CHECK_FAILURES_ONLY
        printf("FAIL %s\n", what);
#endif
    }
}

static int checks_done(const char *name)
{
    printf("%s: %u checks, %u failed\n", name, checks, failed);
    return failed == 0 ? 0 : 1;
}
