"""Paying people (HQ finance, public schema): each earner's payment data (工资发放信息), the
payout files a bank and a payroll system import (银行批量代发, 薪资系统导入), and paying a
closed period in two steps (发放复核)."""
