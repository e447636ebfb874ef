package dev.lectern.core.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CowSetsTest {
    @Test
    void addsAndRemovesWithoutTouchingTheOriginal() {
        Set<String> one = CowSets.plus(null, "a");
        Set<String> two = CowSets.plus(one, "b");
        assertThat(one).containsExactly("a");
        assertThat(two).containsExactlyInAnyOrder("a", "b");
        assertThat(CowSets.plus(two, "a")).isSameAs(two);
        assertThat(CowSets.minus(two, "a")).containsExactly("b");
        assertThat(two).containsExactlyInAnyOrder("a", "b");
        assertThat(CowSets.minus(two, "zz")).isSameAs(two);
        assertThat(CowSets.minus(one, "a")).isNull();
        assertThat(CowSets.minus(null, "a")).isNull();
    }

    @Test
    void insideComputeTheMapLosesNoUpdateAndDropsEmptyKeys() throws Exception {
        Map<String, Set<Integer>> map = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        for (int t = 0; t < 4; t++) {
            int base = t * 1000;
            pool.execute(() -> {
                for (int i = base; i < base + 1000; i++) {
                    int e = i;
                    map.compute("k", (k, s) -> CowSets.plus(s, e));
                }
                for (int i = base; i < base + 1000; i += 2) {
                    int e = i;
                    map.computeIfPresent("k", (k, s) -> CowSets.minus(s, e));
                }
            });
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        assertThat(map.get("k")).hasSize(2000).allMatch(e -> e % 2 == 1);
        for (int i = 1; i < 4000; i += 2) {
            int e = i;
            map.computeIfPresent("k", (k, s) -> CowSets.minus(s, e));
        }
        assertThat(map).isEmpty();
    }
}
