package io.breakwater.launcher;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

/**
 * Runs a test class only where a Docker engine answers; elsewhere JUnit reports it skipped with a one-line reason,
 * so that {@code ./mvnw verify -Pdocker} on a machine without Docker neither fails nor passes silently.
 */
final class DockerRequired implements ExecutionCondition {

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        boolean available;
        try {
            available = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            available = false;
        }
        if (available) {
            return ConditionEvaluationResult.enabled("Docker is available");
        }
        String reason = "Skipped: no Docker engine answers here (DOCKER_HOST or /var/run/docker.sock);"
                + " these Testcontainers tests need one";
        System.out.println(context.getDisplayName() + ": " + reason);
        return ConditionEvaluationResult.disabled(reason);
    }
}
