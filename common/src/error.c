/* SPDX-License-Identifier: MIT */
#include "pfc/error.h"

const char *pfc_strerror(int code)
{
    switch (code) {
    case 0: return "success";
    case PFC_E_NOMEM: return "out of memory";
    case PFC_E_TOO_BIG: return "size exceeds its limit";
    case PFC_E_OS: return "operating system error";
    case PFC_E_EXISTS: return "output file exists";
    case PFC_E_SYMLINK: return "output path is a symbolic link";
    case PFC_E_UNSAFE_DIR: return "output directory is writable by everyone and not sticky";
    case PFC_E_FOREIGN: return "file belongs to another user in a directory everyone can write to";
    case PFC_E_NOT_REGULAR: return "not a regular file";
    case PFC_E_ARG: return "invalid argument";
    default: return "unknown error";
    }
}
