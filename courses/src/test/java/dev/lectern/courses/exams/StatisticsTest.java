package dev.lectern.courses.exams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Agreement and item statistics against values computed independently (numpy: the two-way ANOVA of Shrout and
 * Fleiss for ICC(3,1), Cohen's quadratic weighted kappa from the confusion matrix, Pearson's r).
 */
class StatisticsTest {
    @Test
    void agreementOfModelAndLecturer() {
        double[] model = {0, 1, 2, 2, 3, 1, 0, 2};
        double[] lecturer = {0, 1, 1, 2, 3, 2, 1, 2};
        List<Agreement.Pair> pairs = new ArrayList<>();
        for (int i = 0; i < model.length; i++) {
            pairs.add(new Agreement.Pair(model[i], lecturer[i]));
        }
        Agreement a = Agreement.of(pairs);
        assertThat(a.n()).isEqualTo(8);
        assertThat(a.overridden()).isEqualTo(3);
        assertThat(a.exactMatch()).isEqualTo(5 / 8.0);
        assertThat(a.icc()).isCloseTo(0.7927927927927928, within(1e-12));
        assertThat(a.quadraticWeightedKappa()).isCloseTo(0.7857142857142857, within(1e-12));
    }

    @Test
    void perfectAndUndefinedAgreement() {
        Agreement same = Agreement.of(List.of(new Agreement.Pair(2, 2), new Agreement.Pair(2, 2)));
        assertThat(same.exactMatch()).isEqualTo(1.0);
        assertThat(same.quadraticWeightedKappa()).isEqualTo(1.0);
        assertThat(same.icc()).isNull(); // no variance between answers: ICC is undefined
        assertThat(Agreement.of(List.of())).isEqualTo(new Agreement(0, 0, null, null, null));
    }

    @Test
    void itemDifficultyAndDiscrimination() {
        double[][] scores = {{1, 4}, {0, 1}, {1, 3}, {1, 1}, {0, 2}};
        List<ItemAnalysis> items = ItemAnalysis.of(List.of("a", "b"), List.of("single_choice", "essay"),
                new double[] {1, 5}, scores);
        assertThat(items.get(0).difficulty()).isEqualTo(0.6);
        assertThat(items.get(0).discrimination()).isCloseTo(0.4901, within(1e-4)); // r with the rest (4,1,3,1,2), not the total
        assertThat(items.get(1).meanPoints()).isEqualTo(2.2);
        assertThat(items.get(1).difficulty()).isEqualTo(0.44);
        assertThat(ItemAnalysis.of(List.of("a"), List.of("numeric"), new double[] {1}, new double[][] {{1}, {1}})
                .get(0).discrimination()).isNull();
    }
}
