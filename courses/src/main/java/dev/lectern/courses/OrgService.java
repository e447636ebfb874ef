package dev.lectern.courses;

import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.store.sql.SqlDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The organisation: regions hold groups, a user belongs to at most one group. Admins manage all of it (regions,
 * groups, memberships, roles); a user sees themselves and the members of their own group; an admin sees everyone.
 * Users are shown as the seed shows them: {@code {id, email, name, role, group:{id, name, region:{id, name}}}}, ids as
 * strings. Every method blocks on the database.
 */
public final class OrgService {
    private static final int MAX_NAME = 100;
    private final SqlDatabase db;
    private final CourseRepository repo = new CourseRepository();

    public OrgService(SqlDatabase db) {
        this.db = db;
    }

    public Region createRegion(Principal caller, String name) {
        requireAdmin(caller);
        Region r = new Region(Ids.newId(), Ids.required(name, "name", MAX_NAME), System.currentTimeMillis());
        db.transaction(c -> {
            repo.insertRegion(c, r);
            return null;
        });
        return r;
    }

    /** Every region (anyone signed in may see the organisation's structure). */
    public List<Region> regions() {
        return db.query(repo::regions);
    }

    public Group createGroup(Principal caller, String regionId, String name) {
        requireAdmin(caller);
        Group g = new Group(Ids.newId(), regionId, Ids.required(name, "name", MAX_NAME), System.currentTimeMillis());
        db.transaction(c -> {
            repo.region(c, Ids.required(regionId, "region_id", 40))
                    .orElseThrow(() -> ServiceException.notFound("no such region"));
            repo.insertGroup(c, g);
            return null;
        });
        return g;
    }

    public List<Group> groups() {
        return db.query(repo::groups);
    }

    /** Puts a user in a group (null takes them out of theirs). */
    public Map<String, Object> assignGroup(Principal caller, String userId, String groupIdOrNull) {
        requireAdmin(caller);
        return db.transaction(c -> {
            repo.user(c, userId).orElseThrow(() -> ServiceException.notFound("no such user"));
            if (groupIdOrNull != null) {
                repo.group(c, groupIdOrNull).orElseThrow(() -> ServiceException.notFound("no such group"));
            }
            repo.setUserGroup(c, userId, groupIdOrNull);
            return view(c, repo.user(c, userId).orElseThrow());
        });
    }

    /**
     * Puts a newly provisioned user (external sign-in) in the group with this name, unless they already have one;
     * does nothing when no group has the name. Not a caller's action: the sign-in's mapping decided it.
     */
    public void provisionGroup(String userId, String groupName) {
        db.transaction(c -> {
            Optional<Group> g = repo.groups(c).stream().filter(x -> x.name().equals(groupName)).findFirst();
            if (g.isPresent() && repo.groupOf(c, userId).isEmpty()) {
                repo.setUserGroup(c, userId, g.get().id());
            }
            return null;
        });
    }

    /** Sets a user's role: student, lecturer (or tutor) or admin. */
    public Map<String, Object> setRole(Principal caller, String userId, String role) {
        requireAdmin(caller);
        Role r = Ids.parseRole(role).orElseThrow(() ->
                ServiceException.badRequest("role: student, lecturer or admin"));
        return db.transaction(c -> {
            if (!repo.setRole(c, userId, r.wireName(), System.currentTimeMillis())) {
                throw ServiceException.notFound("no such user");
            }
            return view(c, repo.user(c, userId).orElseThrow());
        });
    }

    /** One user's view, if the caller may see them (themselves, their group's members, anyone for an admin). */
    public Map<String, Object> user(Principal caller, String userId) {
        return db.query(c -> {
            CourseRepository.UserRow u = repo.user(c, userId).filter(row -> maySee(c, caller, row.id()))
                    .orElseThrow(() -> ServiceException.notFound("no such user"));
            return view(c, u);
        });
    }

    /** The users the caller may see: everyone for an admin, else their group's members (or only themselves). */
    public List<Map<String, Object>> users(Principal caller, int limit, int offset) {
        return db.query(c -> {
            List<CourseRepository.UserRow> rows;
            if (caller.isAdmin()) {
                rows = repo.users(c, null, limit, offset);
            } else {
                Optional<String> group = repo.groupOf(c, caller.userId());
                rows = group.isPresent() ? repo.users(c, group.get(), limit, offset)
                        : offset == 0 ? repo.user(c, caller.userId()).stream().toList() : List.of();
            }
            List<Map<String, Object>> out = new java.util.ArrayList<>();
            for (CourseRepository.UserRow u : rows) {
                out.add(view(c, u));
            }
            return out;
        });
    }

    private boolean maySee(Connection c, Principal caller, String userId) {
        try {
            if (caller.isAdmin() || caller.userId().equals(userId)) {
                return true;
            }
            Optional<String> mine = repo.groupOf(c, caller.userId());
            return mine.isPresent() && mine.equals(repo.groupOf(c, userId));
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The seed's user view: ids as strings, group with its region nested, or null. */
    Map<String, Object> view(Connection c, CourseRepository.UserRow u) throws SQLException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", u.id());
        m.put("email", u.email());
        m.put("name", u.name());
        m.put("role", Role.parse(u.role()).map(Ids::roleName).orElse(u.role()));
        Optional<Group> g = repo.groupOf(c, u.id()).flatMap(id -> {
            try {
                return repo.group(c, id);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        if (g.isEmpty()) {
            m.put("group", null);
        } else {
            Map<String, Object> group = new LinkedHashMap<>();
            group.put("id", g.get().id());
            group.put("name", g.get().name());
            Region r = repo.region(c, g.get().regionId()).orElseThrow();
            group.put("region", Map.of("id", r.id(), "name", r.name()));
            m.put("group", group);
        }
        return m;
    }

    static void requireAdmin(Principal caller) {
        if (!caller.isAdmin()) {
            throw ServiceException.forbidden("administrators only");
        }
    }
}
