# MAKEFILE - builds the vmemory examples with Open Watcom's wmake, in the
# memory model you name (s, m, c or l; small when you name none):
#
#   wmake MODEL=l           VMALLL.EXE and VMARRAYL.EXE, large model
#   wmake MODEL=l clean     deletes what MODEL=l built
#
# Each model's files carry its letter, so all four can stand side by side.
# The header and the library are those of this package: ..\INCLUDE and
# ..\LIB\VMEMORY.LIB. The programs need a 386 or later, like the library.
# On Linux (Open Watcom for Linux), unpack the zip with lower-case names
# (unzip -LL), as the examples' #include <vmemory.h> and the names below
# expect; then the same command works.

MODEL = s

!ifdef __UNIX__
INC = ../include
VMLIB = ../lib/vmemory.lib
RM = rm -f
!else
INC = ..\include
VMLIB = ..\lib\vmemory.lib
RM = del
!endif

CFLAGS = -q -bt=dos -m$(MODEL) -i=$(INC)

all: vmall$(MODEL).exe vmarray$(MODEL).exe .SYMBOLIC

vmall$(MODEL).exe: vmall.c $(VMLIB)
	wcc $(CFLAGS) -fo=vmall$(MODEL).obj vmall.c
	wlink system dos option quiet name $@ file vmall$(MODEL).obj library $(VMLIB)

vmarray$(MODEL).exe: vmarray.c $(VMLIB)
	wcc $(CFLAGS) -fo=vmarray$(MODEL).obj vmarray.c
	wlink system dos option quiet name $@ file vmarray$(MODEL).obj library $(VMLIB)

clean: .SYMBOLIC
	-$(RM) vmall$(MODEL).exe
	-$(RM) vmall$(MODEL).obj
	-$(RM) vmarray$(MODEL).exe
	-$(RM) vmarray$(MODEL).obj
