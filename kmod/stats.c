// SPDX-License-Identifier: GPL-2.0-only
/*
 * stats.c - what byteor.ko reports about itself.
 *
 * sysfs, on the misc device (/sys/class/misc/byteor/), read-only:
 *   regions           live (named) regions
 *   bytes             bytes of all region objects, destroyed ones that
 *                     files still attach included: what max_bytes bounds
 *   hugepages_in_use  2 MiB pages the backing files hold, mappings of
 *                     destroyed regions included
 *   creates destroys attaches attach_failures   counters since load
 *
 * debugfs: byteor/regions, one line per live region:
 *   name kind version size generation uid gid mode files claims
 * A debugfs failure never fails the module load.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "byteor_internal.h"

struct byteor_stats byteor_stats;

static ssize_t regions_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	u64 bytes;
	u32 live;

	byteor_region_counts(&live, &bytes);
	return sysfs_emit(buf, "%u\n", live);
}
static DEVICE_ATTR_RO(regions);

static ssize_t bytes_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	u64 bytes;
	u32 live;

	byteor_region_counts(&live, &bytes);
	return sysfs_emit(buf, "%llu\n", bytes);
}
static DEVICE_ATTR_RO(bytes);

static ssize_t hugepages_in_use_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	long n = byteor_hugepages_in_use();

	if (n < 0)
		return n;
	return sysfs_emit(buf, "%ld\n", n);
}
static DEVICE_ATTR_RO(hugepages_in_use);

static ssize_t byteor_counter_show(char *buf, atomic_long_t *counter)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(counter));
}

static ssize_t creates_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return byteor_counter_show(buf, &byteor_stats.creates);
}
static DEVICE_ATTR_RO(creates);

static ssize_t destroys_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return byteor_counter_show(buf, &byteor_stats.destroys);
}
static DEVICE_ATTR_RO(destroys);

static ssize_t attaches_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return byteor_counter_show(buf, &byteor_stats.attaches);
}
static DEVICE_ATTR_RO(attaches);

static ssize_t attach_failures_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	return byteor_counter_show(buf, &byteor_stats.attach_failures);
}
static DEVICE_ATTR_RO(attach_failures);

static struct attribute *byteor_attrs[] = {
	&dev_attr_regions.attr,
	&dev_attr_bytes.attr,
	&dev_attr_hugepages_in_use.attr,
	&dev_attr_creates.attr,
	&dev_attr_destroys.attr,
	&dev_attr_attaches.attr,
	&dev_attr_attach_failures.attr,
	NULL,
};

static const struct attribute_group byteor_group = {
	.attrs = byteor_attrs,
};

const struct attribute_group *byteor_groups[] = {
	&byteor_group,
	NULL,
};

static struct dentry *byteor_debugfs;

static int byteor_regions_show(struct seq_file *m, void *unused)
{
	struct byteor_region_info *buf;
	u32 i, n, room = byteor_max_regions;

	/* max_regions bounds the region objects, so every live one fits. */
	buf = kvcalloc(room, sizeof(*buf), GFP_KERNEL);
	if (!buf && room)
		return -ENOMEM;
	n = min(byteor_region_snapshot(buf, room), room);
	for (i = 0; i < n; i++)
		seq_printf(m, "%s %u %u %llu %llu %u %u %04o %u %u\n",
			   buf[i].name, buf[i].kind, buf[i].layout_version,
			   buf[i].size, buf[i].generation, buf[i].uid,
			   buf[i].gid, buf[i].mode, buf[i].nr_files,
			   buf[i].nr_claims_held);
	kvfree(buf);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(byteor_regions);

void byteor_debugfs_init(void)
{
	/* debugfs calls take and ignore error pointers: nothing to check. */
	byteor_debugfs = debugfs_create_dir("byteor", NULL);
	debugfs_create_file("regions", 0444, byteor_debugfs, NULL,
			    &byteor_regions_fops);
}

void byteor_debugfs_exit(void)
{
	debugfs_remove_recursive(byteor_debugfs);
}
