/* A plain CSV parse loop: the floor zenml.frame.read_csv is compared with in
 * W2's "CSV read alone" case (bench/w2.py compiles it with cc -O2 at run time).
 *
 * usage: parse [--hand] FILE.csv
 *
 * It does the simple thing once, on one core: read the whole file into memory,
 * take the header, then parse every field of every row in one pass into a
 * column: strtod for numbers (--hand: a hand loop for plain decimals, strtod
 * for the rest), a string table (category codes) for the rest. A
 * column's kind is set by its first row. No quoting (W2 has none) and no type
 * inference beyond that, so it is a floor, not a CSV reader. It prints the
 * rows, the columns, a checksum of every value (so the compiler cannot drop
 * the work) and the parse loop's own MB/s (the read excluded). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_COLS 4096
#define TABLE_SIZE 65536 /* distinct strings in one file, at most */

typedef struct {
    int is_number;
    double *values;  /* number column */
    int32_t *codes;  /* string column: index into the string table */
} column;

typedef struct {
    const char *text[TABLE_SIZE];
    size_t len[TABLE_SIZE];
    int32_t code[TABLE_SIZE];
    int32_t count;
} strings;

static void die(const char *what, const char *path) {
    fprintf(stderr, "parse: %s: %s\n", path, what);
    exit(1);
}

static void *grow(void *p, size_t bytes) {
    void *q = realloc(p, bytes);
    if (!q) die("out of memory", "realloc");
    return q;
}

static char *read_all(const char *path, size_t *size) {
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) die(strerror(errno), path);
    char *buf = grow(NULL, (size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die(n < 0 ? strerror(errno) : "file shrank while read", path);
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0'; /* strtod stops here at the latest */
    *size = got;
    return buf;
}

static int32_t intern(strings *t, const char *s, size_t len) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    for (size_t i = h % TABLE_SIZE;; i = (i + 1) % TABLE_SIZE) {
        if (!t->text[i]) {
            if (t->count == TABLE_SIZE - 1) die("too many distinct strings", "table");
            t->text[i] = s, t->len[i] = len, t->code[i] = t->count++;
            return t->code[i];
        }
        if (t->len[i] == len && memcmp(t->text[i], s, len) == 0) return t->code[i];
    }
}

static int at_field_end(const char *p, const char *end) {
    return p == end || *p == ',' || *p == '\n' || *p == '\r';
}

static double library_number(const char *p, const char **stop) {
    char *e;
    double v = strtod(p, &e);
    *stop = e;
    return v;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* The hand loop: [-+]digits[.digits], at most 19 digits, read as the integer
 * m and scaled by 10^-k with one division. When m < 2^53 and k <= 22 both are
 * exact doubles, so the one rounding gives strtod's result (Clinger's fast
 * path). Anything else (exponents, long or empty numbers) goes to strtod. */
static double hand_number(const char *p, const char **stop) {
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *s = p + (*p == '-' || *p == '+');
    uint64_t m = 0;
    long digits = 0, frac = 0;
    for (; is_digit(*s); s++, digits++) m = m * 10 + (uint64_t)(*s - '0');
    if (*s == '.')
        for (s++; is_digit(*s); s++, digits++, frac++) m = m * 10 + (uint64_t)(*s - '0');
    if (digits == 0 || digits > 19 || *s == 'e' || *s == 'E' || m > (1ULL << 53) || frac > 22)
        return library_number(p, stop);
    double v = (double)m / pow10[frac];
    *stop = s;
    return *p == '-' ? -v : v;
}

static double (*parse_number)(const char *, const char **) = library_number;

static int count_header(const char **pp, const char *end) {
    int cols = 1;
    const char *p = *pp;
    while (p < end && *p != '\n') cols += *p++ == ',';
    *pp = p < end ? p + 1 : p;
    if (cols > MAX_COLS) die("too many columns", "header");
    return cols;
}

/* One field at p into column c, row r; returns the byte after the field. */
static const char *parse_field(column *c, size_t r, strings *t, const char *p,
                               const char *end, size_t line) {
    const char *stop;
    double v = parse_number(p, &stop);
    int number = stop != p && at_field_end(stop, end);
    if (r == 0) c->is_number = number;
    if (c->is_number) {
        if (!number) {
            fprintf(stderr, "parse: line %zu: not a number in a number column\n", line);
            exit(1);
        }
        c->values[r] = v;
        return stop;
    }
    const char *q = p;
    while (!at_field_end(q, end)) q++;
    c->codes[r] = intern(t, p, (size_t)(q - p));
    return q;
}

/* Room for `cap` rows; before the first row both kinds, after it only the
 * column's own. */
static void reserve(column *cols, int ncol, size_t rows, size_t cap) {
    for (int j = 0; j < ncol; j++) {
        if (rows == 0 || cols[j].is_number)
            cols[j].values = grow(cols[j].values, cap * sizeof(double));
        if (rows == 0 || !cols[j].is_number)
            cols[j].codes = grow(cols[j].codes, cap * sizeof(int32_t));
    }
}

static size_t parse_rows(column *cols, int ncol, strings *t, const char *p, const char *end) {
    size_t rows = 0, cap = 0;
    while (p < end) {
        if (*p == '\n' || *p == '\r') { p++; continue; } /* blank line, CRLF */
        if (rows == cap) reserve(cols, ncol, rows, cap = cap ? cap * 2 : 65536);
        for (int j = 0; j < ncol; j++) {
            p = parse_field(&cols[j], rows, t, p, end, rows + 2);
            if (j + 1 < ncol && (p == end || *p != ',')) {
                fprintf(stderr, "parse: line %zu: %d fields, expected %d\n", rows + 2, j + 1, ncol);
                exit(1);
            }
            if (j + 1 < ncol) p++;
        }
        while (p < end && *p != '\n') p++;
        rows++;
    }
    return rows;
}

static double checksum(const column *cols, int ncol, size_t rows) {
    double sum = 0;
    for (int j = 0; j < ncol; j++)
        for (size_t r = 0; r < rows; r++)
            sum += cols[j].is_number ? cols[j].values[r] : (double)cols[j].codes[r];
    return sum;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    int hand = argc > 1 && strcmp(argv[1], "--hand") == 0;
    if (argc != 2 + hand) {
        fprintf(stderr, "usage: parse [--hand] FILE.csv\n");
        return 2;
    }
    if (hand) parse_number = hand_number;
    size_t size;
    char *buf = read_all(argv[argc - 1], &size);
    static strings table;
    static column cols[MAX_COLS];
    double t0 = now();
    const char *p = buf, *end = buf + size;
    int ncol = count_header(&p, end);
    size_t rows = parse_rows(cols, ncol, &table, p, end);
    double secs = now() - t0;
    printf("rows %zu cols %d strings %d checksum %.17g\n", rows, ncol, table.count,
           checksum(cols, ncol, rows));
    printf("parse loop %.3f s, %.0f MB/s\n", secs, (double)size / 1e6 / secs);
    return 0;
}
