# SPDX-License-Identifier: MIT
# pf_embed_files(OUTPUT file.c SYMBOL name FILES a.sql b.sql ...)
# Generates a C file holding each input file as a NUL-terminated byte array
# and a table:  const struct pf_embedded_file name[]; const size_t name_count;
#   struct pf_embedded_file { const char *name; const char *data; size_t size; };
# Declared in cmake/embedded.h. Regenerated when any input changes.
set(PF_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/EmbedFilesScript.cmake)
set(PF_EMBED_INCLUDE_DIR ${CMAKE_CURRENT_LIST_DIR})
function(pf_embed_files)
  cmake_parse_arguments(E "" "OUTPUT;SYMBOL" "FILES" ${ARGN})
  add_custom_command(OUTPUT ${E_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -DOUT=${E_OUTPUT} -DSYMBOL=${E_SYMBOL} "-DFILES=${E_FILES}" -P ${PF_EMBED_SCRIPT}
    DEPENDS ${E_FILES} ${PF_EMBED_SCRIPT}
    COMMENT "Embedding ${E_SYMBOL}" VERBATIM)
endfunction()
