# SPDX-License-Identifier: MIT
# Golden test: build captures (pfgen with a fixed seed, hand-built ones),
# ingest, run every canned report and compare the output byte for byte with
# the committed files in expected/. Run with -DUPDATE=1 to rewrite them.
# -DANALYZE=exe -DPFGEN=exe -DMKCAP=exe -DWORK=dir -DEXPECTED=dir
set(ENV{TZ} UTC)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(failures 0)

function(run_cmd)
  execute_process(COMMAND ${ARGN} WORKING_DIRECTORY ${WORK} RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
endfunction()

# compare(NAME EXPECT_RC cmd...): stdout compared with expected/NAME.txt
function(compare name expect_rc)
  execute_process(COMMAND ${ARGN} WORKING_DIRECTORY ${WORK} RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL expect_rc)
    message(SEND_ERROR "${name}: exit ${rc}, want ${expect_rc}: ${ARGN}\n${err}")
  endif()
  set(file ${EXPECTED}/${name}.txt)
  if(UPDATE)
    file(WRITE ${file} "${out}")
    return()
  endif()
  if(NOT EXISTS ${file})
    message(SEND_ERROR "${name}: missing ${file}")
    return()
  endif()
  file(READ ${file} want)
  if(NOT out STREQUAL want)
    file(WRITE ${WORK}/${name}.got "${out}")
    message(SEND_ERROR "${name}: output differs from ${file} (got: ${WORK}/${name}.got)")
  endif()
endfunction()

run_cmd(${PFGEN} -o gen.pfcap -n 20000 --seed 42)
run_cmd(${MKCAP} basic basic.pfcap)
run_cmd(${MKCAP} hostile hostile.pfcap)
run_cmd(${MKCAP} three-flipped flipped.pfcap)
run_cmd(${MKCAP} three-cut cut.pfcap)

# capinfos-like commands
compare(info-basic 0 ${ANALYZE} info basic.pfcap --utc)
compare(verify-basic 0 ${ANALYZE} verify basic.pfcap)
compare(verify-flipped 1 ${ANALYZE} verify flipped.pfcap)
compare(verify-cut 1 ${ANALYZE} verify cut.pfcap)
compare(info-gen 0 ${ANALYZE} info gen.pfcap --utc)

# generator capture: every report
run_cmd(${ANALYZE} ingest gen.pfcap -d gen.db --quiet)
set(reports summary top-talkers top-remotes listeners new-remotes short-lived)
foreach(r IN LISTS reports)
  compare(gen-${r} 0 ${ANALYZE} report ${r} -d gen.db --utc)
endforeach()
compare(gen-udp-peers 0 ${ANALYZE} report udp-peers -d gen.db --utc --param comm=ntpd)
compare(gen-timeline-10s 0 ${ANALYZE} report timeline -d gen.db --utc --param bucket=10s --param comm=nginx)
compare(gen-who-owned 0 ${ANALYZE} report who-owned -d gen.db --utc --param addr=198.51.100.57 --param port=5432)
compare(gen-top-talkers-csv 0 ${ANALYZE} report top-talkers -d gen.db --format csv --param limit=5)
compare(gen-top-remotes-json 0 ${ANALYZE} report top-remotes -d gen.db --format json --param limit=3)
# ingest twice: no duplicates
run_cmd(${ANALYZE} ingest gen.pfcap -d gen.db --quiet)
compare(gen-summary 0 ${ANALYZE} report summary -d gen.db --utc)
compare(gen-counts 0 ${ANALYZE} query -d gen.db --format csv
        "SELECT (SELECT count(*) FROM captures) AS captures, (SELECT count(*) FROM flows) AS flows, (SELECT count(*) FROM processes) AS processes, (SELECT count(*) FROM bytes) AS buckets, (SELECT sum(bytes_sent) FROM bytes) AS bytes_sent, (SELECT sum(bytes_sent) FROM flows) AS flow_bytes_sent")

# hand-built capture: exactly known flows
run_cmd(${ANALYZE} ingest basic.pfcap -d basic.db --quiet)
foreach(r IN LISTS reports)
  compare(basic-${r} 0 ${ANALYZE} report ${r} -d basic.db --utc)
endforeach()
compare(basic-udp-peers 0 ${ANALYZE} report udp-peers -d basic.db --utc --param pid=300)
compare(basic-timeline 0 ${ANALYZE} report timeline -d basic.db --utc)
compare(basic-timeline-flow-10s 0 ${ANALYZE} report timeline -d basic.db --utc --param bucket=10s --param by=flow)
compare(basic-who-owned 0 ${ANALYZE} report who-owned -d basic.db --utc --param addr=203.0.113.66 --param port=4444 --param at=2024-05-01T12:00:10.2Z)
# one-shot form gives the same as ingest + report
compare(basic-summary 0 ${ANALYZE} report summary basic.pfcap --utc)

# hostile strings: printed escaped
run_cmd(${ANALYZE} ingest hostile.pfcap -d hostile.db --quiet)
compare(hostile-processes 0 ${ANALYZE} query -d hostile.db --utc "SELECT pid, comm, exe, cmdline FROM processes ORDER BY process_id")
compare(hostile-processes-csv 0 ${ANALYZE} query -d hostile.db --format csv "SELECT pid, comm, exe, cmdline FROM processes ORDER BY process_id")
compare(hostile-processes-json 0 ${ANALYZE} query -d hostile.db --format json "SELECT pid, comm, exe, cmdline FROM processes ORDER BY process_id")
compare(hostile-summary 0 ${ANALYZE} report summary -d hostile.db --utc)

# damaged and truncated captures: partial ingest, damage recorded
# (both are copies of one capture, same UUID: separate databases)
run_cmd(${ANALYZE} ingest flipped.pfcap -d damaged.db --quiet)
run_cmd(${ANALYZE} ingest cut.pfcap -d cut.db --quiet)
compare(damaged-summary 0 ${ANALYZE} report summary -d damaged.db --utc)
compare(cut-summary 0 ${ANALYZE} report summary -d cut.db --utc)
set(damage_sql "SELECT c.path, c.chunks_ok, c.chunks_damaged, c.clean_close, d.chunk_seq, d.error, (SELECT group_concat(remote_addr, ' ') FROM (SELECT remote_addr FROM flows f WHERE f.capture_id = c.capture_id ORDER BY 1)) AS remotes FROM captures c LEFT JOIN damage d USING (capture_id) ORDER BY c.capture_id")
compare(damaged-rows 0 ${ANALYZE} query -d damaged.db --format csv "${damage_sql}")
compare(cut-rows 0 ${ANALYZE} query -d cut.db --format csv "${damage_sql}")

# usage errors: exit 2, nothing on stdout
compare(err-missing-param 2 ${ANALYZE} report who-owned -d basic.db --param port=1)
compare(err-bad-time 2 ${ANALYZE} report who-owned -d basic.db --param addr=192.0.2.1 --param port=1 --param at=yesterday)
compare(err-not-a-db 2 ${ANALYZE} report summary -d basic.pfcap)

if(UPDATE)
  message(STATUS "golden files written to ${EXPECTED}")
endif()
