package dev.lectern.server;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering rules of docs/ARCHITECTURE.md and DESIGN.md, checked against the main classes of every module (the
 * server module's test class path sees them all). Test classes, test-jars and the benchmarks are not imported: they
 * may reach into anything.
 */
class ArchitectureTest {

    /** Simple-name suffixes of the classes that may speak Netty: pipeline members and pipeline builders. */
    static final List<String> NETTY_ROLES = List.of("Handler", "Decoder", "Encoder", "Codec", "Initializer");

    /**
     * Classes that must name Netty types without a pipeline role or a Netty package, each with its reason. Keep this list
     * short: a new class that needs Netty belongs in a {@code ..netty..} or {@code ..internal..} package or is named for
     * its pipeline role.
     */
    static final Map<String, String> NETTY_EXCEPTIONS = Map.of(
            "dev.lectern.server.LecternServer",
            "the server bootstrap: owns the event-loop groups, binds the listeners, shuts them down",
            "dev.lectern.server.SignalingModule",
            "hands one of the server's event loops to the cluster bus, whose Redis connections live on it",
            "dev.lectern.http.Tunnel",
            "the HTTP edge's one pipeline switch: its contract is the ChannelHandler a route hands the raw request to; "
                    + "it stays beside Route and ApiRequest because a sub-package would form a cycle with them");

    private static JavaClasses lectern;

    @BeforeAll
    static void importMainClasses() {
        lectern = new ClassFileImporter()
                .withImportOption(ArchitectureTest::isMainCode)
                .importPackages("dev.lectern");
    }

    /** Keeps main classes only: not test-classes directories, not test-jars, not the benchmark module. */
    static boolean isMainCode(Location location) {
        return !location.contains("/test-classes/")
                && !location.contains("-tests.jar")
                && !location.contains("/bench/")
                && !location.contains("dev/lectern/bench/")
                && ImportOption.Predefined.DO_NOT_INCLUDE_TESTS.includes(location);
    }

    @Test
    void nettyStaysInHandlersCodecsAndNettyOrInternalPackages() {
        noClasses()
                .that(notANettyRole())
                .and(DescribedPredicate.describe("are not the listed exceptions " + NETTY_EXCEPTIONS.keySet(),
                        (JavaClass c) -> !NETTY_EXCEPTIONS.containsKey(topLevel(c).getName())))
                .and().resideOutsideOfPackages("..netty..", "..internal..")
                .should().dependOnClassesThat().resideInAPackage("io.netty..")
                .as("io.netty is used only by …Handler/…Decoder/…Encoder/…Codec/…Initializer classes "
                        + "(a nested class counts as its top-level class) and in ..netty.. or ..internal.. packages")
                .because("services and records carry plain Java; move byte-level or bootstrap code into a "
                        + "..netty.. or ..internal.. package, or copy the bytes out at the edge (DESIGN.md)")
                .check(lectern);
    }

    @Test
    void theNettyBootstrapListNamesExistingClasses() {
        for (String name : NETTY_EXCEPTIONS.keySet()) {
            assertThat(lectern.contain(name))
                    .as("ArchitectureTest.NETTY_EXCEPTIONS names %s, which no longer exists: drop it from the list", name)
                    .isTrue();
        }
    }

    @Test
    void onlyTheHttpLayerItsAdaptersAndTheServerSeeHttp() {
        noClasses()
                .that().resideOutsideOfPackages("dev.lectern.http..", "..web..", "dev.lectern.server..")
                .should().dependOnClassesThat().resideInAPackage("dev.lectern.http..")
                .as("only dev.lectern.http.., the feature route adapters (..web..) and dev.lectern.server.. "
                        + "depend on dev.lectern.http..")
                .because("domain code throws the kernel's ServiceException and returns plain Java; the HTTP "
                        + "layer adapts it (DESIGN.md: services never import the HTTP layer)")
                .check(lectern);
    }

    @Test
    void packagesAreFreeOfCycles() {
        slices().matching("dev.lectern.(**)").namingSlices("dev.lectern.$1")
                .should().beFreeOfCycles()
                .as("packages under dev.lectern form no dependency cycle")
                .because("a cycle makes two packages one unit that cannot be read, tested or moved alone; "
                        + "break it with an interface or a plain-Java record in the lower package")
                .check(lectern);
    }

    @Test
    void webAdaptersSitAboveTheirServices() {
        noClasses()
                .that().resideOutsideOfPackages("..web..", "dev.lectern.server..")
                .should().dependOnClassesThat().resideInAPackage("..web..")
                .as("only the composition root (dev.lectern.server..) wires the route adapters in ..web..")
                .because("services, repositories and engines never call their own HTTP adapters")
                .check(lectern);
    }

    @Test
    void theKernelKnowsNoFeature() {
        noClasses()
                .that().resideInAPackage("dev.lectern.core..")
                .should().dependOnClassesThat(
                        JavaClass.Predicates.resideInAPackage("dev.lectern..")
                                .and(DescribedPredicate.not(JavaClass.Predicates.resideInAPackage("dev.lectern.core.."))))
                .as("dev.lectern.core.. depends on no other dev.lectern package")
                .because("the kernel is shared by every feature and must know none of them (DESIGN.md)")
                .check(lectern);
    }

    private static DescribedPredicate<JavaClass> notANettyRole() {
        return DescribedPredicate.describe("are not " + NETTY_ROLES.stream().map(s -> "…" + s).toList()
                + " (judged by the top-level class)", ArchitectureTest::isNotANettyRole);
    }

    static boolean isNotANettyRole(JavaClass javaClass) {
        String name = topLevel(javaClass).getSimpleName();
        return NETTY_ROLES.stream().noneMatch(name::endsWith);
    }

    /** A nested or anonymous class is judged as the top-level class it belongs to. */
    static JavaClass topLevel(JavaClass javaClass) {
        JavaClass top = javaClass;
        while (top.getEnclosingClass().isPresent()) {
            top = top.getEnclosingClass().get();
        }
        return top;
    }
}
