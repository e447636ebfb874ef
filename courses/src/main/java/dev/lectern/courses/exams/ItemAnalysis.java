package dev.lectern.courses.exams;

import java.util.ArrayList;
import java.util.List;

/**
 * Classical item statistics of one question over the submitted attempts: its difficulty (facility: mean points over
 * the question's points, 1 = everyone right) and its discrimination (the corrected item-total correlation: Pearson's r
 * between the question's points and each student's total without it; null when either has no variance).
 */
public record ItemAnalysis(String questionId, int position, String type, int n, double meanPoints,
                           double maxPoints, Double difficulty, Double discrimination) {

    /**
     * @param scores scores[student][item], the points each student got per item (in exam order)
     * @param max    the points each item is worth
     */
    public static List<ItemAnalysis> of(List<String> questionIds, List<String> types, double[] max, double[][] scores) {
        List<ItemAnalysis> out = new ArrayList<>();
        int students = scores.length;
        for (int i = 0; i < questionIds.size(); i++) {
            double[] item = new double[students];
            double[] rest = new double[students];
            double sum = 0;
            for (int s = 0; s < students; s++) {
                item[s] = scores[s][i];
                double total = 0;
                for (double v : scores[s]) {
                    total += v;
                }
                rest[s] = total - item[s];
                sum += item[s];
            }
            double mean = students == 0 ? 0 : sum / students;
            out.add(new ItemAnalysis(questionIds.get(i), i + 1, types.get(i), students, round4(mean), max[i],
                    students == 0 || max[i] == 0 ? null : round4(mean / max[i]), pearson(item, rest)));
        }
        return out;
    }

    static Double pearson(double[] x, double[] y) {
        int n = x.length;
        if (n < 2) {
            return null;
        }
        double mx = 0;
        double my = 0;
        for (int i = 0; i < n; i++) {
            mx += x[i];
            my += y[i];
        }
        mx /= n;
        my /= n;
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < n; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        if (sxx < 1e-12 || syy < 1e-12) {
            return null;
        }
        return round4(sxy / Math.sqrt(sxx * syy));
    }

    static double round4(double v) {
        return Math.round(v * 10_000) / 10_000.0;
    }
}
