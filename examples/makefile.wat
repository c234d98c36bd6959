# MAKEFILE - builds the vmemory examples with Open Watcom's wmake, in the
# memory model you name (s, m, c or l; small when you name none):
#
#   wmake MODEL=l           VMALLL.EXE and VMARRAYL.EXE, large model
#   wmake clean             deletes what it built
#
# Each model's files carry its letter, so all four can stand side by side.
# On Linux (wmake from Open Watcom for Linux): wmake -f MAKEFILE MODEL=l.
# The header and the library are those of this package: ..\INCLUDE and
# ..\LIB\VMEMORY.LIB. The programs need a 386 or later, like the library.

MODEL = s

!ifdef __UNIX__
INC = ../INCLUDE
VMLIB = ../LIB/VMEMORY.LIB
RM = rm -f
!else
INC = ..\INCLUDE
VMLIB = ..\LIB\VMEMORY.LIB
RM = del
!endif

CFLAGS = -q -bt=dos -m$(MODEL) -i=$(INC)

all: VMALL$(MODEL).EXE VMARRAY$(MODEL).EXE .SYMBOLIC

VMALL$(MODEL).EXE: VMALL.C $(VMLIB)
	wcc $(CFLAGS) -fo=VMALL$(MODEL).OBJ VMALL.C
	wlink system dos option quiet name $@ file VMALL$(MODEL).OBJ library $(VMLIB)

VMARRAY$(MODEL).EXE: VMARRAY.C $(VMLIB)
	wcc $(CFLAGS) -fo=VMARRAY$(MODEL).OBJ VMARRAY.C
	wlink system dos option quiet name $@ file VMARRAY$(MODEL).OBJ library $(VMLIB)

clean: .SYMBOLIC
	-$(RM) VMALL$(MODEL).EXE
	-$(RM) VMALL$(MODEL).OBJ
	-$(RM) VMARRAY$(MODEL).EXE
	-$(RM) VMARRAY$(MODEL).OBJ
