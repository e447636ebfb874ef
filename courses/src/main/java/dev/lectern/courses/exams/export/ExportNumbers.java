package dev.lectern.courses.exams.export;

import java.math.BigDecimal;
import java.math.RoundingMode;

/** Numbers as Moodle prints them: no trailing zeros, at most seven decimals ("100", "-50", "33.33333", "0.001"). */
final class ExportNumbers {
    private ExportNumbers() {}

    static String format(double v) {
        BigDecimal d = BigDecimal.valueOf(v).setScale(7, RoundingMode.HALF_UP).stripTrailingZeros();
        if (d.signum() == 0) {
            return "0";
        }
        return d.scale() <= 0 ? d.toBigInteger().toString() : d.toPlainString();
    }

    /** Moodle stores fractions with 7 decimals; a percentage of such a fraction keeps 5. */
    static String percent(double fraction) {
        BigDecimal f = BigDecimal.valueOf(fraction).setScale(7, RoundingMode.HALF_UP);
        return format(f.movePointRight(2).doubleValue());
    }
}
