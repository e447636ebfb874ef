package dev.lectern.http.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.lectern.companions.Companion;
import dev.lectern.companions.CompanionRepository;
import dev.lectern.core.auth.Principal;
import dev.lectern.http.Access;
import dev.lectern.core.error.ServiceException;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.Paging;
import dev.lectern.http.Router;
import dev.lectern.core.store.sql.DuplicateKeyException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * The tutor catalogue: anyone signed in lists and reads it; tutors add entries and edit or retire their own; admins
 * edit or retire any.
 */
public final class CompanionsApi {
    private final CompanionRepository companions;

    public CompanionsApi(CompanionRepository companions) {
        this.companions = companions;
    }

    /** The body of POST and PUT. */
    record CompanionBody(String id, String name, String subject, String persona, String voice, String avatar,
                         String greeting) {}

    /** A tutor as the API shows it. */
    record CompanionView(String id, String name, String subject, String persona, String voice, String avatar,
                         String greeting, boolean retired) {}

    /** One page of tutors. */
    record CompanionsPage(List<CompanionView> companions, long total, int page,
                          @JsonProperty("page_size") int pageSize) {}

    public void register(Router.Builder routes) {
        routes.get("/api/companions").access(Access.USER).blocking().tag("companions")
                .summary("List tutors, optionally of one subject")
                .query("subject", "string", false, "only tutors of this subject")
                .query("page", "integer", false, "1-based page").query("page_size", "integer", false, "1-100")
                .returns(200, CompanionsPage.class).handle(this::list);
        routes.get("/api/companions/{id}").access(Access.USER).blocking().tag("companions").errors(404)
                .summary("One tutor").returns(200, CompanionView.class).handle(r -> ApiResponse.json(view(found(r.pathParam("id")).companion())).async());
        routes.post("/api/companions").access(Access.TUTOR).blocking().json().tag("companions").errors(409)
                .summary("Add a tutor (tutors and admins)")
                .example(Map.of("id", "kim-chemistry", "name", "Kim", "subject", "chemistry",
                        "persona", "You are Kim, a chemistry tutor…", "voice", "", "avatar", "", "greeting", "Hi!"))
                .request(CompanionBody.class).returns(201, CompanionView.class).handle(this::create);
        routes.put("/api/companions/{id}").access(Access.TUTOR).blocking().json().tag("companions").errors(404)
                .summary("Edit a tutor (its creator or an admin)").request(CompanionBody.class)
                .returns(200, CompanionView.class).handle(this::update);
        routes.delete("/api/companions/{id}").access(Access.TUTOR).blocking().tag("companions").errors(404)
                .summary("Retire a tutor (its creator or an admin); history keeps referring to it")
                .returns(204, Void.class).handle(this::retire);
    }

    private CompletionStage<ApiResponse> list(ApiRequest r) {
        Paging paging = Paging.of(r);
        String subject = r.queryParam("subject").filter(s -> !s.isBlank())
                .map(s -> s.strip().toLowerCase(Locale.ROOT)).orElse(null);
        var items = companions.list(subject, paging.offset(), paging.pageSize()).stream().map(CompanionsApi::view).toList();
        return ApiResponse.json(new CompanionsPage(items, companions.count(subject), paging.page(), paging.pageSize()))
                .async();
    }

    private CompletionStage<ApiResponse> create(ApiRequest r) {
        CompanionBody b = r.json(CompanionBody.class);
        Companion c = build(b.id(), b);
        try {
            companions.create(c, r.requirePrincipal().userId());
        } catch (DuplicateKeyException e) {
            throw ServiceException.conflict("a tutor with id " + c.id() + " already exists");
        }
        return ApiResponse.json(201, view(c)).async();
    }

    private CompletionStage<ApiResponse> update(ApiRequest r) {
        CompanionRepository.Stored existing = editable(r);
        CompanionBody b = r.json(CompanionBody.class);
        if (b.id() != null && !b.id().equals(existing.companion().id())) {
            throw ServiceException.badRequest("id cannot be changed");
        }
        Companion c = build(existing.companion().id(), b);
        if (!companions.update(c)) {
            throw ServiceException.notFound("no such tutor");
        }
        return ApiResponse.json(view(c)).async();
    }

    private CompletionStage<ApiResponse> retire(ApiRequest r) {
        CompanionRepository.Stored existing = editable(r);
        companions.retire(existing.companion().id());
        return ApiResponse.noContent().async();
    }

    /** Found, not retired, and the caller may change it (creator or admin); otherwise 404 or 403. */
    private CompanionRepository.Stored editable(ApiRequest r) {
        CompanionRepository.Stored stored = found(r.pathParam("id"));
        if (stored.companion().retired()) {
            throw ServiceException.notFound("no such tutor");
        }
        Principal p = r.requirePrincipal();
        if (!p.isAdmin() && !p.userId().equals(stored.createdBy())) {
            throw ServiceException.forbidden("only the tutor who added this entry, or an admin, may change it");
        }
        return stored;
    }

    private CompanionRepository.Stored found(String id) {
        return companions.find(id).orElseThrow(() -> ServiceException.notFound("no such tutor"));
    }

    private static Companion build(String id, CompanionBody b) {
        try {
            return new Companion(id, b.name(), b.subject(), b.persona(), b.voice(), b.avatar(), b.greeting(), false);
        } catch (IllegalArgumentException e) {
            throw ServiceException.badRequest(e.getMessage());
        }
    }

    static CompanionView view(Companion c) {
        return new CompanionView(c.id(), c.name(), c.subject(), c.persona(), c.voice(), c.avatar(), c.greeting(),
                c.retired());
    }
}
