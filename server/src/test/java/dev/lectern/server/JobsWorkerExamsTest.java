package dev.lectern.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.testing.TestConfigs;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A {@code bin/lectern worker} node works the exams' model jobs (generation, rubric drafts, grading) only when a model
 * is configured: without one those jobs wait for a node that can run them instead of failing on the offline provider.
 */
class JobsWorkerExamsTest {
    private static final String[] EXAM_KINDS = {"exams.generate", "exams.rubric.draft", "exams.grade"};

    @Test
    void withAModelTheWorkerRegistersTheExamKinds() throws Exception {
        try (FakeModelServer upstream = new FakeModelServer();
             JobsWorker worker = JobsWorker.start(TestConfigs.defaults().withAi(TestAi.config(upstream.baseUrl())),
                     Map.of("FAKE_API_KEY", "sk-test"))) {
            assertThat(worker.kinds()).contains(EXAM_KINDS).contains("test.hello");
        }
    }

    @Test
    void withoutAModelItLeavesThemToOtherNodes() {
        try (JobsWorker worker = JobsWorker.start(TestConfigs.defaults(), Map.of())) {
            assertThat(worker.kinds()).doesNotContain(EXAM_KINDS).contains("test.hello");
        }
    }
}
