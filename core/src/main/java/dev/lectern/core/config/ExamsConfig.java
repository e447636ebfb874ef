package dev.lectern.core.config;

import static dev.lectern.core.config.Checks.checkRange;

/**
 * Exams (issue #25): how long one model answer may take when generating questions, drafting a rubric or grading a
 * written answer; which configured model grades written answers ("" = the default model); and the directory holding
 * the DejaVu fonts the PDF exports embed ("" = Debian's {@code fonts-dejavu-core} location).
 */
public record ExamsConfig(long modelTimeoutMillis, String gradingModel, String fontDir) {
    /** Where Debian's fonts-dejavu-core puts DejaVuSans.ttf and DejaVuSans-Bold.ttf. */
    public static final String DEFAULT_FONT_DIR = "/usr/share/fonts/truetype/dejavu";

    public ExamsConfig {
        checkRange(modelTimeoutMillis, 1000, 3_600_000, "exams.modelTimeoutMillis");
        gradingModel = gradingModel == null ? "" : gradingModel.strip();
        fontDir = fontDir == null || fontDir.isBlank() ? DEFAULT_FONT_DIR : fontDir.strip();
    }
}
