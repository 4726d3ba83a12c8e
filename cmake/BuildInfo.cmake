# Runs at build time (cmake -P): writes build_info.cpp with the current
# commit, marked -dirty when the tree has uncommitted changes, and rewrites
# it only when its content changes so nothing rebuilds needlessly.
# Changes under benchmarks/results do not count as dirty.
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE CYTOSTORM_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET
                RESULT_VARIABLE git_failed)
if(git_failed OR NOT CYTOSTORM_GIT_COMMIT)
  set(CYTOSTORM_GIT_COMMIT "unknown")
else()
  # Recorded benchmark results do not change what is built.
  execute_process(COMMAND git status --porcelain --untracked-files=no -- . ":!benchmarks/results"
                  WORKING_DIRECTORY ${SOURCE_DIR}
                  OUTPUT_VARIABLE git_dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(git_dirty)
    string(APPEND CYTOSTORM_GIT_COMMIT "-dirty")
  endif()
endif()
configure_file(${SOURCE_DIR}/host/core/build_info.cpp.in ${OUTPUT}.new @ONLY)
file(COPY_FILE ${OUTPUT}.new ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.new)
