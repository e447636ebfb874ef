package dev.lectern.lessons.plan;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.ai.retrieval.Passage;
import dev.lectern.core.json.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlanValidatorTest {
    private final PlanValidator validator = new PlanValidator(5);

    private static JsonNode json(String s) throws Exception {
        return Json.MAPPER.readTree(s.replace('\'', '"'));
    }

    private List<String> errors(String plan) throws Exception {
        return validator.validatePlan(json(plan), 0, List.of()).errors();
    }

    @Test
    void aCompletePlanBecomesRecords() throws Exception {
        PlanValidator.Result r = validator.validatePlan(json("{'title':' Sets ','scenes':[{'title':'Union',"
                + "'narration':'The union joins two sets.','bullets':['A ∪ B'],'block':{'kind':'formula','text':"
                + "'A ∪ B = {x : x ∈ A ∨ x ∈ B}'},'visual':'two circles','sources':[1]}]}"), 1,
                List.of(new Passage("d", "sets.pdf", 2, "…", 1f)));
        assertThat(r.errors()).isEmpty();
        PlannedScene s = r.plan().scenes().get(0);
        assertThat(r.plan().title()).isEqualTo("Sets");
        assertThat(s.block().kind()).isEqualTo(PlannedScene.Block.Kind.FORMULA);
        assertThat(s.visualNote()).isEqualTo("two circles");
        assertThat(s.citations()).extracting(PlannedScene.Citation::label).containsExactly("sets.pdf, p. 2");
    }

    @Test
    void eachErrorNamesItsPath() throws Exception {
        assertThat(errors("[]")).containsExactly("$: must be a JSON object with \"title\" and \"scenes\"");
        assertThat(errors("{'title':'t'}")).containsExactly("$.scenes: must be an array of scene objects");
        assertThat(errors("{'title':'t','scenes':[]}")).containsExactly("$.scenes: must have 1-5 scenes (got 0)");
        assertThat(errors("{'title':'t','scenes':[{'title':'a','narration':'b'}]}")).containsExactly(
                "$.scenes[0]: needs \"bullets\" (1-6) or a \"block\" (a formula or code), or both");
        assertThat(errors("{'title':'t','scenes':[{'title':3,'narration':'...','bullets':'x'}]}")).containsExactly(
                "$.scenes[0].title: must be a string of 1-120 characters",
                "$.scenes[0].narration: must contain words to speak",
                "$.scenes[0].bullets: must be an array of at most 6 strings");
        assertThat(errors("{'title':'t','scenes':[{'title':'a','narration':'b','block':{'kind':'chart','text':'x'}}]}"))
                .containsExactly("$.scenes[0].block.kind: must be \"formula\" or \"code\"");
        assertThat(errors("{'title':'t','scenes':[{'title':'a','narration':'b','bullets':['x'],'sources':[1]}]}"))
                .containsExactly("$.scenes[0].sources: must be empty: no sources were provided");
        assertThat(errors("{'title':'t','scenes':[{'title':'a\\u0007','narration':'b','bullets':['x']}]}"))
                .containsExactly("$.scenes[0].title: must be one line without control characters");
    }

    @Test
    void blocksMustFitASlide() throws Exception {
        String longLine = "x".repeat(PlanValidator.MAX_BLOCK_LINE_CHARS + 1);
        assertThat(errors("{'title':'t','scenes':[{'title':'a','narration':'b','block':{'kind':'code','text':'ok\\n"
                + longLine + "'}}]}")).containsExactly("$.scenes[0].block.text: line 2 has 73 characters (at most 72 "
                + "fit on a slide)");
        assertThat(errors("{'title':'t','scenes':[{'title':'a','narration':'b','block':{'kind':'code','text':'"
                + "a\\n".repeat(17) + "a'}}]}")).containsExactly("$.scenes[0].block.text: must have at most 16 lines "
                + "(got 18)");
        assertThat(errors("{'title':'t','scenes':[{'title':'a','narration':'b','block':{'kind':'code','text':'x',"
                + "'language':'py; rm'}}]}")).containsExactly(
                "$.scenes[0].block.language: must be a short language name such as \"python\"");
    }

    @Test
    void manyErrorsAreCappedWithACount() throws Exception {
        StringBuilder scenes = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            scenes.append(i == 0 ? "" : ",").append("{'a':1,'b':2,'c':3,'d':4,'e':5}");
        }
        List<String> errors = errors("{'title':'t','scenes':[" + scenes + "]}");
        assertThat(errors).hasSize(PlanValidator.MAX_ERRORS + 1);
        assertThat(errors.get(PlanValidator.MAX_ERRORS)).matches("… and \\d+ more errors");
    }

    @Test
    void theSchemaStatesTheSameLimits() throws Exception {
        JsonNode schema = Json.MAPPER.readTree(validator.schema(3, 0));
        JsonNode scene = schema.at("/properties/scenes/items/properties");
        assertThat(schema.at("/properties/scenes/minItems").asInt()).isEqualTo(3);
        assertThat(scene.at("/narration/maxLength").asInt()).isEqualTo(PlanValidator.MAX_NARRATION_CHARS);
        assertThat(scene.at("/bullets/maxItems").asInt()).isEqualTo(PlanValidator.MAX_BULLETS);
        assertThat(scene.at("/sources/maxItems").asInt()).isZero();
        ObjectNode withSources = (ObjectNode) Json.MAPPER.readTree(validator.schema(0, 4));
        assertThat(withSources.at("/properties/scenes/maxItems").asInt()).isEqualTo(5);
        assertThat(withSources.at("/properties/scenes/items/properties/sources/items/maximum").asInt()).isEqualTo(4);
    }
}
