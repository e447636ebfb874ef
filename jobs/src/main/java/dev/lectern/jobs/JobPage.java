package dev.lectern.jobs;

import java.util.List;

/** One page of a {@link JobQuery} and how many jobs match in all. */
public record JobPage(List<Job> jobs, long total) {}
