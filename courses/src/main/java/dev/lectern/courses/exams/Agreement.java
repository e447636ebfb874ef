package dev.lectern.courses.exams;

import java.util.List;

/**
 * How far the model's grades agree with the lecturer's, over pairs of points for the same answers: the share of exact
 * matches, quadratic weighted kappa (on points rounded to whole numbers) and ICC(3,1) (two-way mixed, consistency,
 * single rater; Shrout and Fleiss 1979). A statistic that is undefined for the data (fewer than two pairs, no
 * variance) is null.
 */
public record Agreement(int n, int overridden, Double exactMatch, Double quadraticWeightedKappa, Double icc) {
    /** One answer graded by both: the model's points and the lecturer's (the model's when not overridden). */
    public record Pair(double model, double lecturer) {}

    public static Agreement of(List<Pair> pairs) {
        int n = pairs.size();
        if (n == 0) {
            return new Agreement(0, 0, null, null, null);
        }
        int exact = 0;
        int overridden = 0;
        for (Pair p : pairs) {
            if (Math.abs(p.model() - p.lecturer()) < 1e-9) {
                exact++;
            } else {
                overridden++;
            }
        }
        return new Agreement(n, overridden, (double) exact / n, qwk(pairs), icc31(pairs));
    }

    /** Cohen's kappa with quadratic weights over the categories min..max of the rounded points. */
    static Double qwk(List<Pair> pairs) {
        int lo = Integer.MAX_VALUE;
        int hi = Integer.MIN_VALUE;
        for (Pair p : pairs) {
            lo = Math.min(lo, (int) Math.min(Math.round(p.model()), Math.round(p.lecturer())));
            hi = Math.max(hi, (int) Math.max(Math.round(p.model()), Math.round(p.lecturer())));
        }
        int k = hi - lo + 1;
        if (k < 2 || k > 1000) {
            return k == 1 ? 1.0 : null; // every grade the same category: perfect agreement
        }
        double[][] observed = new double[k][k];
        double[] a = new double[k];
        double[] b = new double[k];
        for (Pair p : pairs) {
            int i = (int) Math.round(p.model()) - lo;
            int j = (int) Math.round(p.lecturer()) - lo;
            observed[i][j]++;
            a[i]++;
            b[j]++;
        }
        int n = pairs.size();
        double num = 0;
        double den = 0;
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                double w = (double) (i - j) * (i - j) / ((double) (k - 1) * (k - 1));
                num += w * observed[i][j];
                den += w * a[i] * b[j] / n;
            }
        }
        return den == 0 ? null : 1 - num / den;
    }

    /** ICC(3,1) = (MSR - MSE) / (MSR + (k - 1) MSE) with k = 2 raters. */
    static Double icc31(List<Pair> pairs) {
        int n = pairs.size();
        if (n < 2) {
            return null;
        }
        int k = 2;
        double grand = 0;
        for (Pair p : pairs) {
            grand += p.model() + p.lecturer();
        }
        grand /= n * k;
        double ssRows = 0;
        double ssCols;
        double ssTotal = 0;
        double meanModel = 0;
        double meanLecturer = 0;
        for (Pair p : pairs) {
            double rowMean = (p.model() + p.lecturer()) / 2;
            ssRows += k * (rowMean - grand) * (rowMean - grand);
            ssTotal += (p.model() - grand) * (p.model() - grand) + (p.lecturer() - grand) * (p.lecturer() - grand);
            meanModel += p.model();
            meanLecturer += p.lecturer();
        }
        meanModel /= n;
        meanLecturer /= n;
        ssCols = n * ((meanModel - grand) * (meanModel - grand) + (meanLecturer - grand) * (meanLecturer - grand));
        double ssError = ssTotal - ssRows - ssCols;
        double msr = ssRows / (n - 1);
        double mse = ssError / ((double) (n - 1) * (k - 1));
        double den = msr + (k - 1) * mse;
        return den <= 1e-12 ? null : (msr - mse) / den;
    }
}
