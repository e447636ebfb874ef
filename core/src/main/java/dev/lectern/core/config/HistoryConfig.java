package dev.lectern.core.config;

import static dev.lectern.core.config.Checks.checkNotBlank;
import static dev.lectern.core.config.Checks.checkRange;

/** Tutors, rooms and history: where the catalogue comes from, how long live rooms and history last. */
public record HistoryConfig(String companionsFile, long roomLiveTtlSeconds, long retentionDays,
                            long purgeIntervalMinutes) {
    public HistoryConfig {
        checkNotBlank(companionsFile, "history.companionsFile");
        checkRange(roomLiveTtlSeconds, 60, 7 * 86400, "history.roomLiveTtlSeconds");
        checkRange(retentionDays, 1, 3650, "history.retentionDays");
        checkRange(purgeIntervalMinutes, 1, 7 * 24 * 60, "history.purgeIntervalMinutes");
    }
}
