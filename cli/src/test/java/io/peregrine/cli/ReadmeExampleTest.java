package io.peregrine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The producer example in README.md compiles against the real API.
 */
class ReadmeExampleTest
{
    @TempDir
    Path dir;

    @Test
    void shouldCompileTheReadmeProducerExample() throws Exception
    {
        final String readme = Files.readString(Path.of("..", "README.md"));
        final Matcher matcher = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertTrue(matcher.find(), "README.md has a ```java block");
        final String source = matcher.group(1);
        final Matcher className = Pattern.compile("public final class (\\w+)").matcher(source);
        assertTrue(className.find(), "the example declares a public class");
        final Path file = dir.resolve(className.group(1) + ".java");
        Files.writeString(file, source);

        final JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        final StringWriter diagnostics = new StringWriter();
        final boolean ok = compiler.getTask(diagnostics, null, null,
            List.of("-Xlint:all", "-Werror", "-d", dir.toString(), "-cp", ManagementFactory.getRuntimeMXBean().getClassPath()),
            null, compiler.getStandardFileManager(null, null, null).getJavaFileObjects(file.toFile())).call();
        assertTrue(ok, "README example does not compile:\n" + diagnostics);
        assertEquals(true, new File(dir.toFile(), className.group(1) + ".class").exists());
    }
}
