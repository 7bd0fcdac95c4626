// SPDX-License-Identifier: MIT
/*
 * report.c - the result store: figures with every repetition, tables with
 * ratios to the reference and to each peer, targets, results.json and the
 * gnuplot data + scripts for the PNGs.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "bench.h"

#define FIG_MAX		1024
#define NOTE_MAX	128
#define TGT_MAX		128

static struct figure figs[FIG_MAX];
static int nfigs;

struct snote {
	char section[32];
	char text[256];
};
static struct snote notes[NOTE_MAX];
static int nnotes;

struct tgt {
	char name[96];
	double value, bound;
	int ge;
	char how[200];
};
static struct tgt tgts[TGT_MAX];
static int ntgts;

struct figure *fig_find(const char *section, const char *subject, const char *config)
{
	int i;

	for (i = 0; i < nfigs; i++)
		if (!strcmp(figs[i].section, section) && !strcmp(figs[i].subject, subject) &&
		    !strcmp(figs[i].config, config))
			return &figs[i];
	return NULL;
}

struct figure *fig_get(const char *section, const char *subject,
		       const char *config, const char *unit, int better_low)
{
	struct figure *f = fig_find(section, subject, config);

	if (f)
		return f;
	if (nfigs == FIG_MAX) {
		fprintf(stderr, "bench: too many figures\n");
		exit(2);
	}
	f = &figs[nfigs++];
	snprintf(f->section, sizeof(f->section), "%s", section);
	snprintf(f->subject, sizeof(f->subject), "%s", subject);
	snprintf(f->config, sizeof(f->config), "%s", config);
	snprintf(f->unit, sizeof(f->unit), "%s", unit);
	f->better_low = better_low;
	return f;
}

void fig_add(struct figure *f, double v)
{
	if (f->nreps < REPS_MAX)
		f->rep[f->nreps++] = v;
}

void fig_note(struct figure *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->note, sizeof(f->note), fmt, ap);
	va_end(ap);
}

void fig_hist(struct figure *f, const struct hist *h)
{
	if (!f->h) {
		f->h = malloc(sizeof(*f->h));
		hist_reset(f->h);
	}
	hist_merge(f->h, h);
}

int fig_count(void)
{
	return nfigs;
}

struct figure *fig_at(int i)
{
	return &figs[i];
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double fig_median(const struct figure *f)
{
	double v[REPS_MAX];
	int n = f->nreps;

	if (!n)
		return 0;
	memcpy(v, f->rep, sizeof(double) * (size_t)n);
	qsort(v, (size_t)n, sizeof(double), dcmp);
	return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double fig_min(const struct figure *f)
{
	double m = f->nreps ? f->rep[0] : 0;
	int i;

	for (i = 1; i < f->nreps; i++)
		if (f->rep[i] < m)
			m = f->rep[i];
	return m;
}

double fig_max(const struct figure *f)
{
	double m = f->nreps ? f->rep[0] : 0;
	int i;

	for (i = 1; i < f->nreps; i++)
		if (f->rep[i] > m)
			m = f->rep[i];
	return m;
}

void section_note(const char *section, const char *fmt, ...)
{
	va_list ap;

	if (nnotes == NOTE_MAX)
		return;
	snprintf(notes[nnotes].section, sizeof(notes[nnotes].section), "%s", section);
	va_start(ap, fmt);
	vsnprintf(notes[nnotes].text, sizeof(notes[nnotes].text), fmt, ap);
	va_end(ap);
	nnotes++;
}

void target(const char *name, double value, double bound, int ge, const char *how)
{
	struct tgt *t;

	if (ntgts == TGT_MAX)
		return;
	t = &tgts[ntgts++];
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->value = value;
	t->bound = bound;
	t->ge = ge;
	snprintf(t->how, sizeof(t->how), "%s", how);
}

static const char *fmtv(char *buf, double v)
{
	if (isnan(v))
		snprintf(buf, 24, "-");
	else if (v == 0)
		snprintf(buf, 24, "0");
	else if (v < 0.01)
		snprintf(buf, 24, "%.2g", v);	/* a small figure is not 0.00 */
	else if (v >= 1000)
		snprintf(buf, 24, "%.0f", v);
	else if (v >= 100)
		snprintf(buf, 24, "%.1f", v);
	else
		snprintf(buf, 24, "%.2f", v);
	return buf;
}

void print_notes(const char *section)
{
	int i;

	for (i = 0; i < nnotes; i++)
		if (!strcmp(notes[i].section, section))
			printf("  note: %s\n", notes[i].text);
}

/*
 * An SPSC throughput row at capacity 4096 gets its subject's instructions
 * per message from the ipm section (same payload, single-op or batch 32),
 * if that ran first: the cost of the code beside the time it took.
 */
static void print_ipm_beside(const struct figure *f)
{
	unsigned int p;
	double v;

	if (strcmp(f->section, "spsc") || !strstr(f->config, "cap4096") ||
	    sscanf(f->config, "%uB", &p) != 1)
		return;
	v = ipm_of(f->subject, p, strstr(f->config, "batch 32") ? 32 : 1);
	if (!isnan(v))
		printf("  {%.1f instr/msg}", v);
}

/*
 * The ratio of @f to @ref paired by repetition: repetition i of every
 * subject ran in the same round (bench.c interleaves them), so the ratio
 * is taken per round and its median returned (min, max in *mn, *mx);
 * NAN if the two have no round in common.  Never a ratio of medians.
 */
static double paired_ratio(const struct figure *f, const struct figure *ref, double *mn,
			   double *mx)
{
	double r[REPS_MAX];
	int i, n = 0;

	for (i = 0; i < f->nreps && i < ref->nreps; i++)
		if (f->rep[i] > 0 && ref->rep[i] > 0)
			r[n++] = f->rep[i] / ref->rep[i];
	if (!n)
		return NAN;
	qsort(r, (size_t)n, sizeof(double), dcmp);
	*mn = r[0];
	*mx = r[n - 1];
	return n & 1 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2;
}

/*
 * One table per configuration of the section: a row per subject with its
 * median, [min..max] over the repetitions, the ratio to the reference, and
 * for byteor rows the ratio to every peer present in that configuration.
 */
void print_section(const char *section, const char *title, const char *ref_subject,
		   const char *const *peers)
{
	char done[FIG_MAX];
	int i, j, k;

	memset(done, 0, sizeof(done));
	printf("\n== %s ==\n", title);
	print_notes(section);
	for (i = 0; i < nfigs; i++) {
		const struct figure *ref;

		if (done[i] || strcmp(figs[i].section, section))
			continue;
		ref = ref_subject ? fig_find(section, ref_subject, figs[i].config) : NULL;
		if (figs[i].nreps == 1)
			printf("\n  [%s]  (%s, one repetition%s)\n", figs[i].config, figs[i].unit,
			       ref ? "; xref = ratio to the reference" : "");
		else
			printf("\n  [%s]  (%s, median of %d [min..max]%s)\n", figs[i].config,
			       figs[i].unit, figs[i].nreps,
			       ref ? "; xref = ratio to the reference, median [min..max] of per-repetition ratios" : "");
		for (j = i; j < nfigs; j++) {
			struct figure *f = &figs[j];
			char a[24], b[24], c[24];

			if (strcmp(f->section, section) || strcmp(f->config, figs[i].config))
				continue;
			done[j] = 1;
			if (f->nreps == 1)	/* one value: no range to show */
				printf("    %-22s %9s", f->subject, fmtv(a, f->rep[0]));
			else
				printf("    %-22s %9s  [%s..%s]", f->subject,
				       fmtv(a, f->nreps ? fig_median(f) : NAN),
				       fmtv(b, f->nreps ? fig_min(f) : NAN),
				       fmtv(c, f->nreps ? fig_max(f) : NAN));
			if (ref && f->nreps) {
				double mn, mx, x = paired_ratio(f, ref, &mn, &mx);

				if (!isnan(x))
					printf(f->nreps > 1 ? "  xref %.2f [%.2f..%.2f]" : "  xref %.2f",
					       x, mn, mx);
			}
			if (f->h)
				printf("  p50 %.0f p99 %.0f p99.9 %.0f max %.0f ns",
				       tsc_ns(hist_pct(f->h, 50)), tsc_ns(hist_pct(f->h, 99)),
				       tsc_ns(hist_pct(f->h, 99.9)), tsc_ns(f->h->max));
			if (f->note[0])
				printf("  (%s)", f->note);
			if (f->preempted)
				printf("  [preempted in %d of %d]", f->preempted, f->nreps);
			print_ipm_beside(f);
			printf("\n");
			if (peers && !strncmp(f->subject, "byteor", 6) && f->nreps) {
				int any = 0;

				for (k = 0; peers[k]; k++) {
					const struct figure *p = fig_find(section, peers[k], f->config);
					double mn, mx, x;

					if (!p || !p->nreps)
						continue;
					x = paired_ratio(f, p, &mn, &mx);
					if (isnan(x))
						continue;
					printf("%s %s %.2f", any ? "," : "      vs (per-repetition ratios, median)",
					       peers[k], x);
					any = 1;
				}
				if (any)
					printf("\n");
			}
		}
	}
}

void print_targets(void)
{
	int i, met = 0;

	printf("\n== Targets (paired ones per state; each line says how it was measured) ==\n");
	for (i = 0; i < ntgts; i++) {
		const struct tgt *t = &tgts[i];
		int ok = !isnan(t->value) && (t->ge ? t->value >= t->bound : t->value <= t->bound);

		if (isnan(t->value)) {
			printf("  %-58s   n/a   (%s %.2f)  NOT MEASURED  %s\n", t->name,
			       t->ge ? ">=" : "<=", t->bound, t->how);
			continue;
		}
		met += ok;
		printf("  %-58s %6.3g  (%s %.2f)  %-6s %s\n", t->name, t->value,
		       t->ge ? ">=" : "<=", t->bound, ok ? "met" : "MISSED", t->how);
	}
	printf("  %d of %d targets met\n", met, ntgts);
}

/* ---- JSON --------------------------------------------------------------- */

static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void read_line(const char *path, const char *prefix, char *out, size_t n)
{
	FILE *f = fopen(path, "r");
	char line[512];

	snprintf(out, n, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!prefix || !strncmp(line, prefix, strlen(prefix))) {
			char *v = prefix ? strchr(line, ':') : line;

			if (!v)
				continue;
			if (prefix)
				v++;
			while (*v == ' ' || *v == '\t')
				v++;
			v[strcspn(v, "\n")] = 0;
			snprintf(out, n, "%.200s", v);
			break;
		}
	}
	fclose(f);
}

extern char machine_notes[1024];

void write_json(const char *path)
{
	FILE *f = fopen(path, "w");
	struct utsname u;
	char cpu[256], gov[128], idle[128], host[128];
	int i, j;

	if (!f) {
		perror(path);
		return;
	}
	uname(&u);
	gethostname(host, sizeof(host));
	read_line("/proc/cpuinfo", "model name", cpu, sizeof(cpu));
	read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", NULL, gov, sizeof(gov));
	read_line("/sys/devices/system/cpu/cpuidle/current_driver", NULL, idle, sizeof(idle));
	fprintf(f, "{\n  \"schema\": \"byteor-bench/1\",\n  \"machine\": {\n    \"hostname\": ");
	jstr(f, host);
	fprintf(f, ",\n    \"kernel\": ");
	jstr(f, u.release);
	fprintf(f, ",\n    \"kernel_version\": ");
	jstr(f, u.version);
	fprintf(f, ",\n    \"cpu\": ");
	jstr(f, cpu);
	fprintf(f, ",\n    \"cpus_online\": %ld,\n    \"tsc_ghz\": %.6f,\n    \"governor\": ",
		sysconf(_SC_NPROCESSORS_ONLN), tsc_ghz);
	jstr(f, gov);
	fprintf(f, ",\n    \"cpuidle_driver\": ");
	jstr(f, idle);
	fprintf(f, ",\n    \"notes\": ");
	jstr(f, machine_notes);
	fprintf(f, "\n  },\n  \"quick\": %s,\n  \"section_notes\": [", quick ? "true" : "false");
	for (i = 0; i < nnotes; i++) {
		fprintf(f, "%s\n    {\"section\": ", i ? "," : "");
		jstr(f, notes[i].section);
		fprintf(f, ", \"text\": ");
		jstr(f, notes[i].text);
		fprintf(f, "}");
	}
	fprintf(f, "\n  ],\n  \"figures\": [");
	for (i = 0; i < nfigs; i++) {
		const struct figure *g = &figs[i];

		fprintf(f, "%s\n    {\"section\": ", i ? "," : "");
		jstr(f, g->section);
		fprintf(f, ", \"subject\": ");
		jstr(f, g->subject);
		fprintf(f, ", \"config\": ");
		jstr(f, g->config);
		fprintf(f, ", \"unit\": ");
		jstr(f, g->unit);
		fprintf(f, ", \"lower_is_better\": %s, \"median\": %.6g, \"min\": %.6g, \"max\": %.6g, \"repetitions\": [",
			g->better_low ? "true" : "false", fig_median(g), fig_min(g), fig_max(g));
		for (j = 0; j < g->nreps; j++)
			fprintf(f, "%s%.6g", j ? ", " : "", g->rep[j]);
		fprintf(f, "]");
		if (g->preempted)
			fprintf(f, ", \"preempted_repetitions\": %d", g->preempted);
		if (g->note[0]) {
			fprintf(f, ", \"note\": ");
			jstr(f, g->note);
		}
		if (g->h && g->h->count)
			fprintf(f, ", \"distribution_ns\": {\"count\": %llu, \"min\": %.1f, \"p50\": %.1f, \"p90\": %.1f, \"p99\": %.1f, \"p99_9\": %.1f, \"p99_99\": %.1f, \"max\": %.1f}",
				(unsigned long long)g->h->count, tsc_ns(g->h->min),
				tsc_ns(hist_pct(g->h, 50)), tsc_ns(hist_pct(g->h, 90)),
				tsc_ns(hist_pct(g->h, 99)), tsc_ns(hist_pct(g->h, 99.9)),
				tsc_ns(hist_pct(g->h, 99.99)), tsc_ns(g->h->max));
		fprintf(f, "}");
	}
	fprintf(f, "\n  ],\n  \"targets\": [");
	for (i = 0; i < ntgts; i++) {
		const struct tgt *t = &tgts[i];
		int ok = !isnan(t->value) && (t->ge ? t->value >= t->bound : t->value <= t->bound);

		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		jstr(f, t->name);
		if (isnan(t->value))
			fprintf(f, ", \"value\": null");
		else
			fprintf(f, ", \"value\": %.4g", t->value);
		fprintf(f, ", \"bound\": %.4g, \"op\": \"%s\", \"status\": \"%s\", \"how\": ",
			t->bound, t->ge ? ">=" : "<=",
			isnan(t->value) ? "not measured" : ok ? "met" : "missed");
		jstr(f, t->how);
		fprintf(f, "}");
	}
	fprintf(f, "\n  ]\n}\n");
	fclose(f);
}

/* ---- plots -------------------------------------------------------------- */

static void slug(char *dst, size_t n, const char *s)
{
	size_t i = 0;

	for (; *s && i + 1 < n; s++)
		dst[i++] = (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
			   (*s >= 'A' && *s <= 'Z') ? *s : '_';
	dst[i] = 0;
}

/*
 * Latency: one .dat per distribution (percentile, ns; HdrHistogram's
 * "1/(1-q)" x axis) and one PNG per section+config with every subject.
 * Throughput: one .dat per section+config (subject, median, min, max) and
 * a bar chart with [min..max] error bars.
 */
void write_plots(const char *dir)
{
	char path[512], s1[200], s2[200];
	char done[FIG_MAX];
	FILE *gp;
	int i, j;

	snprintf(path, sizeof(path), "%s/plots.gp", dir);
	gp = fopen(path, "w");
	if (!gp)
		return;
	fprintf(gp, "set terminal pngcairo size 1000,600 noenhanced font ',10'\n"
		    "set grid\nset key top left\n");
	memset(done, 0, sizeof(done));
	for (i = 0; i < nfigs; i++) {
		int first = 1;

		if (done[i])
			continue;
		slug(s1, sizeof(s1), figs[i].section);
		slug(s2, sizeof(s2), figs[i].config);
		if (figs[i].h) {
			fprintf(gp, "\nset output '%s/lat_%s_%s.png'\n", dir, s1, s2);
			fprintf(gp, "set title '%s: %s (latency by percentile)'\n"
				    "set logscale x\nset logscale y\nset xlabel 'percentile'\n"
				    "set ylabel 'ns'\nset style data lines\n"
				    "set xtics ('50%%%%' 2, '90%%%%' 10, '99%%%%' 100, '99.9%%%%' 1000, '99.99%%%%' 10000, '99.999%%%%' 100000)\n",
				figs[i].section, figs[i].config);
			fprintf(gp, "plot");
		}
		for (j = i; j < nfigs; j++) {
			struct figure *f = &figs[j];
			char s3[64];
			FILE *d;
			uint64_t seen = 0;
			unsigned int b;

			if (strcmp(f->section, figs[i].section) || strcmp(f->config, figs[i].config) ||
			    !f->h || !f->h->count)
				continue;
			done[j] = 1;
			slug(s3, sizeof(s3), f->subject);
			snprintf(path, sizeof(path), "%s/lat_%s_%s_%s.dat", dir, s1, s2, s3);
			d = fopen(path, "w");
			if (!d)
				continue;
			for (b = 0; b < HIST_BUCKETS; b++) {
				double q;

				if (!f->h->c[b])
					continue;
				seen += f->h->c[b];
				q = (double)seen / (double)f->h->count;
				fprintf(d, "%.9f %.1f\n", q >= 1 ? 1e6 : 1 / (1 - q),
					tsc_ns(hist_hi(b) > f->h->max ? f->h->max : hist_hi(b)));
			}
			fclose(d);
			fprintf(gp, "%s '%s' using 1:2 title '%s' lw 2", first ? "" : ",", path, f->subject);
			first = 0;
		}
		if (figs[i].h) {
			fprintf(gp, "\nunset logscale\nunset xtics\nset xtics\n");
			continue;
		}
		/* throughput bars */
		snprintf(path, sizeof(path), "%s/bar_%s_%s.dat", dir, s1, s2);
		{
			FILE *d = fopen(path, "w");
			int n = 0;

			if (!d)
				continue;
			for (j = i; j < nfigs; j++) {
				struct figure *f = &figs[j];

				if (strcmp(f->section, figs[i].section) || strcmp(f->config, figs[i].config))
					continue;
				done[j] = 1;
				if (!f->nreps)
					continue;
				fprintf(d, "%d \"%s\" %.4f %.4f %.4f\n", n++, f->subject,
					fig_median(f), fig_min(f), fig_max(f));
			}
			fclose(d);
			if (!n)
				continue;
			fprintf(gp, "\nset output '%s/bar_%s_%s.png'\n", dir, s1, s2);
			fprintf(gp, "set title '%s: %s (median, [min..max])'\nset ylabel '%s'\n"
				    "set xlabel ''\nset style fill solid 0.6\nset boxwidth 0.6\n"
				    "set xtics rotate by -30\nset yrange [0:*]\n"
				    "plot '%s' using 1:3:xtic(2) with boxes notitle, '' using 1:3:4:5 with yerrorbars notitle lc rgb 'black'\n"
				    "set yrange [*:*]\nunset xtics\nset xtics\n",
				figs[i].section, figs[i].config, figs[i].unit, path);
		}
	}
	fclose(gp);
}
