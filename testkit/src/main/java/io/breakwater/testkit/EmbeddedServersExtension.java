package io.breakwater.testkit;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a test an {@link EmbeddedServers} parameter: started on first use, shared by every test class in the
 * JVM, closed when the JUnit run ends (it lives in the root context's store).
 *
 * <pre>{@code
 * @ExtendWith(EmbeddedServersExtension.class)
 * class AnswerFlowIT {
 *     @BeforeAll
 *     static void start(EmbeddedServers servers) { ... }
 * }
 * }</pre>
 *
 * Other extensions that need the servers ask {@link #shared(ExtensionContext)} for the same instance.
 */
public final class EmbeddedServersExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(EmbeddedServersExtension.class);

    /**
     * The JVM's embedded servers, started now if nothing has asked for them yet: the instance every
     * {@link EmbeddedServers} parameter receives, so there is still one broker per JVM.
     */
    public static EmbeddedServers shared(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(EmbeddedServers.class, key -> EmbeddedServers.start(), EmbeddedServers.class);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == EmbeddedServers.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return shared(context);
    }
}
